/**
 * The core entry points every adapter calls. `handle`: normalise → parse → find the command → run
 * → mask. `handleButton`: decide a stored pending action once, then run what it offered as the
 * person who clicked. Neither throws; every failure becomes a Reply.
 */

import { performance } from 'node:perf_hooks';
import type { AccessPolicy } from '../access/privileges.js';
import { AccessControl, type Caller } from '../access/service.js';
import type { Assistant } from '../assistant/assistant.js';
import { maskSecrets } from '../document/redact.js';
import { suggest } from '../document/suggest.js';
import type { Limits } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { CommandMetrics } from '../metrics.js';
import type { AccessStore } from '../session/access-port.js';
import { Drafts } from '../session/drafts.js';
import type { InteractionStore, PendingAction } from '../session/interaction-port.js';
import type { SessionStore } from '../session/port.js';
import { checkArguments } from './arguments.js';
import { authorize, authorizeLines } from './authorize.js';
import { applyBatch } from './batch.js';
import { buttonId, parseButtonId, parseVoteButton, storeAction } from './buttons.js';
import { checkDocument } from './document-check.js';
import { commandNameOf, normalizeChatText, parseCommandLine } from './grammar/index.js';
import { historyLine } from './history-line.js';
import { maskReply } from './mask-reply.js';
import { COMMANDS } from './registry.js';
import { clarifyingQuestion, renderError } from './render-error.js';
import type { Reply } from './reply.js';
import { privateAnswer, success } from './reply.js';
import type {
  ButtonClick,
  CommandContext,
  CommandDefinition,
  FileAccess,
  Invocation,
  ParsedCommand,
} from './types.js';

export interface DispatcherDeps {
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  /** Grants, reviews and the audit trail, on the same backend as the sessions. */
  readonly accessStore: AccessStore;
  readonly accessPolicy: AccessPolicy;
  readonly files?: FileAccess;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly commands?: readonly CommandDefinition[];
  readonly metrics?: CommandMetrics;
  readonly assistant?: Assistant;
}

export interface Dispatcher {
  handle(invocation: Invocation): Promise<Reply>;
  handleButton(click: ButtonClick): Promise<Reply>;
  /**
   * What /load would say about this document, without loading it: undefined when it would load,
   * else one line for a form to show (see document-check.ts).
   */
  checkDocument(text: string): string | undefined;
  readonly commands: readonly CommandDefinition[];
}

/** What the entry points share, built once per dispatcher. */
interface Core {
  readonly deps: DispatcherDeps;
  readonly commands: readonly CommandDefinition[];
  readonly now: () => Date;
  readonly drafts: Drafts;
  readonly access: AccessControl;
}

function resolve(commands: readonly CommandDefinition[], name: string): CommandDefinition {
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

function contextFor(
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
  };
}

/** What a command caused beyond its answer (an approval it voided), said after the answer. */
function withNotices(reply: Reply, notices: readonly string[]): Reply {
  if (notices.length === 0) return reply;
  return { ...reply, blocks: [...reply.blocks, ...notices.map((text) => ({ kind: 'text' as const, text }))] };
}

async function run(core: Core, invocation: Invocation): Promise<Reply> {
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

/**
 * The typed line as the channel may see it. A line that does not parse shows only its command's
 * name: its values were never parsed, so a secret in it could not be told from the text around it.
 */
function echoOf(text: string): string {
  const normalized = normalizeChatText(text);
  let command: ParsedCommand;
  try {
    command = parseCommandLine(normalized);
  } catch {
    const name = commandNameOf(normalized);
    return name === undefined ? '' : maskSecrets(`/${name}`);
  }
  return historyLine(normalized, command);
}

/** When a command fails validation, offer to ask the assistant: a button in chat, a hint otherwise. */
async function offerClarification(
  core: Core,
  reply: Reply,
  error: unknown,
  invocation: Invocation,
): Promise<Reply> {
  const { deps } = core;
  if (deps.assistant?.online !== true) return reply;
  const buttons = invocation.supportsButtons === true;
  const question = clarifyingQuestion(error, invocation.text, buttons ? 'full' : 'short');
  if (question === undefined) return reply;
  if (!buttons)
    return { ...reply, blocks: [...reply.blocks, { kind: 'text', text: `Not sure why? ${question}` }] };
  try {
    const id = await storeAction(deps.interactions, invocation, core.now(), {
      commands: [question],
      summary: 'Ask the assistant about this error',
    });
    return {
      ...reply,
      buttons: [...reply.buttons, { id: buttonId(id, 'confirm'), label: 'Ask the assistant' }],
    };
  } catch (storeError) {
    deps.logger.warn({ err: storeError }, 'could not offer to ask the assistant about an error');
    return reply;
  }
}

/** A bounded label set for metrics: known command names, or "unknown". */
function metricName(commands: readonly CommandDefinition[], text: string): string {
  const name = commandNameOf(text);
  return name !== undefined && commands.some((c) => c.name === name) ? name : 'unknown';
}

async function handle(core: Core, invocation: Invocation): Promise<Reply> {
  const started = performance.now();
  let reply: Reply;
  try {
    reply = maskReply(await run(core, invocation));
  } catch (error) {
    const rendered = renderError(error, core.deps.logger, {
      channel: invocation.channel,
      actor: invocation.actor.id,
    });
    reply = maskReply(await offerClarification(core, rendered, error, invocation));
  }
  const seconds = (performance.now() - started) / 1000;
  core.deps.metrics?.observeCommand(metricName(core.commands, invocation.text), reply.ok, seconds);
  return { ...reply, echo: echoOf(invocation.text) };
}

/** Runs what a confirmed button offered, as the person who clicked. */
async function runAction(core: Core, click: ButtonClick, action: PendingAction): Promise<Reply> {
  if (action.kind === 'batch') {
    const invocation = { text: action.summary, actor: click.actor, channel: click.channel };
    const command = { name: 'apply', positionals: [], params: [] };
    const apply = resolve(core.commands, 'apply');
    const caller = await authorizeLines(core, invocation, action.commands, core.commands, apply);
    const notices: string[] = [];
    const reply = await applyBatch(
      contextFor(core, invocation, command, caller, notices),
      action,
      core.commands,
    );
    return withNotices(reply, notices);
  }
  let last: Reply = success(action.summary);
  for (const text of action.commands) {
    last = await run(core, { text, actor: click.actor, channel: click.channel });
    if (!last.ok) break;
  }
  return last;
}

/** Records the click's decision once; a second click (or a retried event) is told who decided. */
async function decide(core: Core, click: ButtonClick): Promise<Reply> {
  const { actionId, choice } = parseButtonId(click.buttonId);
  const decided = await core.deps.interactions.decideAction(actionId, click.channel, {
    choice,
    byId: click.actor.id,
    by: click.actor.name,
    at: core.now().toISOString(),
  });
  if (decided.status === 'unknown') {
    throw new AitwsError('NOT_AVAILABLE', 'This button has expired.', { hint: 'Run the command again.' });
  }
  if (decided.status === 'already') {
    const verb = decided.decision.choice === 'confirm' ? 'done' : 'cancelled';
    return privateAnswer(`Already ${verb} by ${decided.decision.by}.`, {
      data: { alreadyDecided: decided.decision },
    });
  }
  if (choice === 'cancel') return success(`Cancelled by ${click.actor.name}: ${decided.action.summary}`);
  return runAction(core, click, decided.action);
}

/**
 * A review's Approve/Reject button is the typed /approve or /reject bound to that review, run as the
 * person who clicked (privileges checked now, not when the button was posted). A counted vote
 * replaces the message the button was on; a refusal goes to the clicker alone.
 */
async function vote(core: Core, click: ButtonClick, reviewId: string, choice: string): Promise<Reply> {
  const reply = await run(core, {
    text: `/${choice} review=${reviewId}`,
    actor: click.actor,
    channel: click.channel,
    supportsButtons: true,
  });
  return { ...reply, clickEffect: reply.ok && reply.visibility === 'channel' ? 'replace' : 'private' };
}

async function handleButton(core: Core, click: ButtonClick): Promise<Reply> {
  try {
    const voteButton = parseVoteButton(click.buttonId);
    if (voteButton !== undefined)
      return maskReply(await vote(core, click, voteButton.reviewId, voteButton.choice));
    return maskReply(await decide(core, click));
  } catch (error) {
    return maskReply(renderError(error, core.deps.logger, { channel: click.channel, actor: click.actor.id }));
  }
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const now = deps.now ?? (() => new Date());
  const core: Core = {
    deps,
    commands: deps.commands ?? COMMANDS,
    now,
    drafts: new Drafts(deps.sessions, { limits: deps.limits, now }),
    access: new AccessControl({ store: deps.accessStore, policy: deps.accessPolicy, now }),
  };
  return {
    handle: (invocation) => handle(core, invocation),
    handleButton: (click) => handleButton(core, click),
    checkDocument: (text) => checkDocument(text, deps.limits),
    commands: core.commands,
  };
}
