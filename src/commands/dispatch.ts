/**
 * The core entry point every adapter calls: normalise → parse → find the command → run → mask.
 * It never throws; every failure becomes a Reply.
 */
import { AitwsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { SessionStore } from '../session/port.js';
import { maskSecrets } from '../spec/redact.js';
import { suggest } from '../spec/suggest.js';
import type { Limits } from '../spec/types.js';
import { normalizeChatText, parseCommandLine } from './grammar/index.js';
import { COMMANDS } from './registry.js';
import { renderError } from './render-error.js';
import type { Reply, ReplyBlock } from './reply.js';
import type { CommandDefinition, FileAccess, Invocation } from './types.js';

export interface DispatcherDeps {
  readonly sessions: SessionStore;
  readonly files?: FileAccess;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly commands?: readonly CommandDefinition[];
}

export interface Dispatcher {
  handle(invocation: Invocation): Promise<Reply>;
  readonly commands: readonly CommandDefinition[];
}

function maskBlock(block: ReplyBlock): ReplyBlock {
  switch (block.kind) {
    case 'text':
      return { ...block, text: maskSecrets(block.text) };
    case 'code':
      return { ...block, code: maskSecrets(block.code) };
    case 'fields':
      return {
        ...block,
        fields: block.fields.map((f) => ({ label: maskSecrets(f.label), value: maskSecrets(f.value) })),
      };
    case 'list':
      return { ...block, items: block.items.map(maskSecrets) };
  }
}

/** Chat replies never carry a credential, whatever a command put in them. */
function maskReply(reply: Reply): Reply {
  return {
    ...reply,
    blocks: reply.blocks.map(maskBlock),
    warnings: reply.warnings.map(maskSecrets),
    attachments: reply.attachments.map((a) => ({ ...a, content: maskSecrets(a.content) })),
  };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const commands = deps.commands ?? COMMANDS;
  const now = deps.now ?? (() => new Date());

  function resolve(name: string): CommandDefinition {
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

  async function handle(invocation: Invocation): Promise<Reply> {
    try {
      const text = normalizeChatText(invocation.text);
      const command = parseCommandLine(text);
      const definition = resolve(command.name);
      const reply = await definition.run({
        invocation: { ...invocation, text },
        command,
        sessions: deps.sessions,
        files: deps.files,
        limits: deps.limits,
        now,
      });
      return maskReply(reply);
    } catch (error) {
      return maskReply(
        renderError(error, deps.logger, { channel: invocation.channel, actor: invocation.actor.id }),
      );
    }
  }

  return { handle, commands };
}
