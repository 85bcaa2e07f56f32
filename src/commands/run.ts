/**
 * Running one command line as a person: parse, find the command, check its arguments and the
 * person's privilege, run it with a context, and add what it caused. Typed commands and clicked
 * buttons (clicks.ts) both come through here.
 */
import type { AccessControl, Caller } from '../access/service.js';
import { suggest } from '../document/suggest.js';
import { AitwsError } from '../errors.js';
import type { Drafts } from '../session/drafts.js';
import { checkArguments } from './arguments.js';
import { authorize } from './authorize.js';
import type { DispatcherDeps } from './dispatch.js';
import { normalizeChatText, parseCommandLine } from './grammar/index.js';
import type { Reply } from './reply.js';
import type { CommandContext, CommandDefinition, Invocation, ParsedCommand } from './types.js';

/** What the entry points share, built once per dispatcher. */
export interface Core {
  readonly deps: DispatcherDeps;
  readonly commands: readonly CommandDefinition[];
  readonly now: () => Date;
  readonly drafts: Drafts;
  readonly access: AccessControl;
}

export function resolve(commands: readonly CommandDefinition[], name: string): CommandDefinition {
  const command = commands.find((c) => c.name === name);
  if (command !== undefined) return command;
  const guess = suggest(
    name,
    commands.map((c) => c.name),
  );
  throw new AitwsError('UNKNOWN_COMMAND', `Unknown command "/${name}".`, {
    hint:
      guess === undefined
        ? 'Type /help to list the commands.'
        : `Did you mean /${guess}? Type /help to list the commands.`,
  });
}

/** A command that takes free text (rawArgs) gets the rest of the line as its one positional. */
function parse(commands: readonly CommandDefinition[], text: string): ParsedCommand {
  const match = /^\s*\/?([A-Za-z][A-Za-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(text);
  const name = match?.[1]?.toLowerCase();
  if (name === undefined || commands.find((c) => c.name === name)?.rawArgs !== true)
    return parseCommandLine(text);
  const rest = match?.[2]?.trim() ?? '';
  return { name, positionals: rest === '' ? [] : [rest], params: [] };
}

export function contextFor(
  core: Core,
  invocation: Invocation,
  command: ParsedCommand,
  caller: Caller,
  notices: string[],
): CommandContext {
  const { deps } = core;
  return {
    invocation,
    command,
    drafts: core.drafts,
    interactions: deps.interactions,
    files: deps.files,
    limits: deps.limits,
    now: core.now,
    access: core.access,
    caller,
    notices,
    ...(deps.assistant === undefined ? {} : { assistant: deps.assistant }),
    ...(deps.runtime === undefined ? {} : { runtime: deps.runtime }),
    ...(deps.events === undefined ? {} : { events: deps.events }),
    ...(deps.webhooks === undefined ? {} : { webhooks: deps.webhooks }),
    ...(deps.packaging === undefined ? {} : { packaging: deps.packaging }),
    ...(deps.secrets === undefined ? {} : { secrets: deps.secrets }),
    ...(deps.pageLinks === undefined ? {} : { pageLinks: deps.pageLinks }),
    logger: deps.logger,
  };
}

/** What a command caused beyond its answer (an approval it voided), said after the answer. */
export function withNotices(reply: Reply, notices: readonly string[]): Reply {
  if (notices.length === 0) return reply;
  return { ...reply, blocks: [...reply.blocks, ...notices.map((text) => ({ kind: 'text' as const, text }))] };
}

export async function run(core: Core, invocation: Invocation): Promise<Reply> {
  const text = normalizeChatText(invocation.text);
  const command = parse(core.commands, text);
  const definition = resolve(core.commands, command.name);
  checkArguments(definition, command);
  const normalized = { ...invocation, text };
  const caller = await authorize(core, normalized, definition, command);
  const notices: string[] = [];
  const reply = await definition.run(contextFor(core, normalized, command, caller, notices));
  return withNotices(reply, notices);
}
