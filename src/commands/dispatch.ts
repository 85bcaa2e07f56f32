/**
 * The core entry points every adapter calls. `handle`: normalise → parse → find the command → run
 * → mask. `handleButton`: decide a stored pending action once, then run what it offered as the
 * person who clicked. Neither throws; every failure becomes a Reply.
 */

import { performance } from 'node:perf_hooks';
import { AitwsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { CommandMetrics } from '../metrics.js';
import type { InteractionStore } from '../session/interaction-port.js';
import { KeyedQueue } from '../session/keyed-queue.js';
import type { SessionStore } from '../session/port.js';
import { maskSecrets } from '../spec/redact.js';
import { suggest } from '../spec/suggest.js';
import type { Limits } from '../spec/types.js';
import { parseButtonId } from './buttons.js';
import { normalizeChatText, parseCommandLine } from './grammar/index.js';
import { COMMANDS } from './registry.js';
import { renderError } from './render-error.js';
import type { Reply, ReplyBlock } from './reply.js';
import { privateAnswer, success } from './reply.js';
import type { ButtonClick, CommandDefinition, FileAccess, Invocation } from './types.js';
import { WarningCache } from './warning-cache.js';

export interface DispatcherDeps {
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  readonly files?: FileAccess;
  readonly limits: Limits;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly commands?: readonly CommandDefinition[];
  readonly metrics?: CommandMetrics;
}

export interface Dispatcher {
  handle(invocation: Invocation): Promise<Reply>;
  handleButton(click: ButtonClick): Promise<Reply>;
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
  const changeQueue = new KeyedQueue();
  const warningCache = new WarningCache();

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

  async function run(invocation: Invocation): Promise<Reply> {
    const text = normalizeChatText(invocation.text);
    const command = parseCommandLine(text);
    const definition = resolve(command.name);
    return definition.run({
      invocation: { ...invocation, text },
      command,
      sessions: deps.sessions,
      interactions: deps.interactions,
      changeQueue,
      warningCache,
      files: deps.files,
      limits: deps.limits,
      now,
    });
  }

  /** A bounded label set for metrics: known command names, or "unknown". */
  function metricName(text: string): string {
    const name = /^\s*\/?([A-Za-z][A-Za-z0-9_-]*)/.exec(text)?.[1]?.toLowerCase();
    return name !== undefined && commands.some((c) => c.name === name) ? name : 'unknown';
  }

  async function handle(invocation: Invocation): Promise<Reply> {
    const started = performance.now();
    let reply: Reply;
    try {
      reply = maskReply(await run(invocation));
    } catch (error) {
      reply = maskReply(
        renderError(error, deps.logger, { channel: invocation.channel, actor: invocation.actor.id }),
      );
    }
    deps.metrics?.observeCommand(metricName(invocation.text), reply.ok, (performance.now() - started) / 1000);
    return reply;
  }

  async function decide(click: ButtonClick): Promise<Reply> {
    const { actionId, choice } = parseButtonId(click.buttonId);
    const decided = await deps.interactions.decideAction(actionId, click.channel, {
      choice,
      byId: click.actor.id,
      by: click.actor.name,
      at: now().toISOString(),
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
    const { action } = decided;
    if (choice === 'cancel') return success(`Cancelled by ${click.actor.name}: ${action.summary}`);
    let last: Reply = success(action.summary);
    for (const text of action.commands) {
      last = await run({ text, actor: click.actor, channel: click.channel });
      if (!last.ok) break;
    }
    return last;
  }

  async function handleButton(click: ButtonClick): Promise<Reply> {
    try {
      return maskReply(await decide(click));
    } catch (error) {
      return maskReply(renderError(error, deps.logger, { channel: click.channel, actor: click.actor.id }));
    }
  }

  return { handle, handleButton, commands };
}
