/**
 * The core entry points every adapter calls. `handle`: normalise → parse → find the command → run
 * → mask. `handleButton`: decide a stored pending action once, then run what it offered as the
 * person who clicked. Neither throws; every failure becomes a Reply.
 */

import { performance } from 'node:perf_hooks';
import type { Assistant } from '../assistant/assistant.js';
import { AitwsError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { CommandMetrics } from '../metrics.js';
import type { InteractionStore } from '../session/interaction-port.js';
import type { SessionStore } from '../session/port.js';
import { Drafts } from '../session/drafts.js';
import { maskSecrets } from '../document/redact.js';
import { suggest } from '../document/suggest.js';
import type { Limits } from '../document/types.js';
import { applyBatch } from './batch.js';
import { buttonId, parseButtonId, storeAction } from './buttons.js';
import { checkDocument } from './document-check.js';
import { commandNameOf, normalizeChatText, parseCommandLine } from './grammar/index.js';
import { COMMANDS } from './registry.js';
import { clarifyingQuestion, renderError } from './render-error.js';
import type { Reply, ReplyAttachment, ReplyBlock } from './reply.js';
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

/** `block` with secrets masked; the same object when it holds none (the usual case, and no copy). */
function maskBlock(block: ReplyBlock): ReplyBlock {
  switch (block.kind) {
    case 'text': {
      const text = maskSecrets(block.text);
      return text === block.text ? block : { ...block, text };
    }
    case 'code': {
      const code = maskSecrets(block.code);
      return code === block.code ? block : { ...block, code };
    }
    case 'fields': {
      const fields = block.fields.map((f) => ({ label: maskSecrets(f.label), value: maskSecrets(f.value) }));
      const same = fields.every(
        (f, i) => f.label === block.fields[i]?.label && f.value === block.fields[i]?.value,
      );
      return same ? block : { ...block, fields };
    }
    case 'list': {
      const items = block.items.map(maskSecrets);
      return items.every((item, i) => item === block.items[i]) ? block : { ...block, items };
    }
  }
}

function maskAttachment(attachment: ReplyAttachment): ReplyAttachment {
  const content = maskSecrets(attachment.content);
  return content === attachment.content ? attachment : { ...attachment, content };
}

/** `items` mapped, or the same array when `mask` changed none of them. */
function maskAll<T>(items: readonly T[], mask: (item: T) => T): readonly T[] {
  const masked = items.map(mask);
  return masked.every((item, i) => item === items[i]) ? items : masked;
}

/** Chat replies never carry a credential, whatever a command put in them. */
function maskReply(reply: Reply): Reply {
  const blocks = maskAll(reply.blocks, maskBlock);
  const warnings = maskAll(reply.warnings, maskSecrets);
  const attachments = maskAll(reply.attachments, maskAttachment);
  if (blocks === reply.blocks && warnings === reply.warnings && attachments === reply.attachments)
    return reply;
  return { ...reply, blocks, warnings, attachments };
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const commands = deps.commands ?? COMMANDS;
  const now = deps.now ?? (() => new Date());
  const drafts = new Drafts(deps.sessions, { limits: deps.limits, now });

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

  function contextFor(invocation: Invocation, command: ParsedCommand): CommandContext {
    return {
      invocation,
      command,
      drafts,
      interactions: deps.interactions,
      files: deps.files,
      limits: deps.limits,
      now,
      ...(deps.assistant === undefined ? {} : { assistant: deps.assistant }),
    };
  }

  /** A command that takes free text (rawArgs) gets the rest of the line as its one positional. */
  function parse(text: string): ParsedCommand {
    const match = /^\s*\/?([A-Za-z][A-Za-z0-9_-]*)(?:\s+([\s\S]*))?$/.exec(text);
    const name = match?.[1]?.toLowerCase();
    if (name === undefined || commands.find((c) => c.name === name)?.rawArgs !== true)
      return parseCommandLine(text);
    const rest = match?.[2]?.trim() ?? '';
    return { name, positionals: rest === '' ? [] : [rest], params: [] };
  }

  async function run(invocation: Invocation): Promise<Reply> {
    const text = normalizeChatText(invocation.text);
    const command = parse(text);
    const definition = resolve(command.name);
    return definition.run(contextFor({ ...invocation, text }, command));
  }

  /** When a command fails validation, offer to ask the assistant: a button in chat, a hint otherwise. */
  async function offerClarification(reply: Reply, error: unknown, invocation: Invocation): Promise<Reply> {
    if (deps.assistant?.online !== true) return reply;
    const buttons = invocation.supportsButtons === true;
    const question = clarifyingQuestion(error, invocation.text, buttons ? 'full' : 'short');
    if (question === undefined) return reply;
    if (!buttons)
      return { ...reply, blocks: [...reply.blocks, { kind: 'text', text: `Not sure why? ${question}` }] };
    try {
      const id = await storeAction(deps.interactions, invocation, now(), {
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
  function metricName(text: string): string {
    const name = commandNameOf(text);
    return name !== undefined && commands.some((c) => c.name === name) ? name : 'unknown';
  }

  async function handle(invocation: Invocation): Promise<Reply> {
    const started = performance.now();
    let reply: Reply;
    try {
      reply = maskReply(await run(invocation));
    } catch (error) {
      const rendered = renderError(error, deps.logger, {
        channel: invocation.channel,
        actor: invocation.actor.id,
      });
      reply = maskReply(await offerClarification(rendered, error, invocation));
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
    if (action.kind === 'batch') {
      const invocation = { text: action.summary, actor: click.actor, channel: click.channel };
      return applyBatch(
        contextFor(invocation, { name: 'apply', positionals: [], params: [] }),
        action,
        commands,
      );
    }
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

  return {
    handle,
    handleButton,
    checkDocument: (text) => checkDocument(text, deps.limits),
    commands,
  };
}
