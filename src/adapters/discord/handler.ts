/**
 * One interaction in, one answer out, whichever way it arrived (gateway or HTTP). Commands become
 * an Invocation for the core, clicks a ButtonClick; autocomplete is answered from the spec
 * registry. Nothing here throws: a failure is logged and, where Discord can still show it, answered.
 */
import type { Dispatcher } from '../../commands/dispatch.js';
import { renderError } from '../../commands/render-error.js';
import type { Reply } from '../../commands/reply.js';
import type { Invocation } from '../../commands/types.js';
import type { Logger } from '../../logging.js';
import type { InteractionStore } from '../../session/interaction-port.js';
import type { SessionStore } from '../../session/port.js';
import { within } from '../../timing.js';
import type { DiscordApi } from './api.js';
import { downloadAttachment } from './attachments.js';
import { complete } from './autocomplete.js';
import { attachmentId, commandText } from './command-text.js';
import {
  Callback,
  DEFERRED,
  type DeliveryDeps,
  deliverLate,
  deliverNow,
  type Plan,
  type Transport,
} from './deliver.js';
import {
  type CommandInteraction,
  type ComponentInteraction,
  type Incoming,
  type InteractionBase,
  optionValues,
  parseInteraction,
} from './interaction.js';
import { EPHEMERAL, headline, notice, renderReply } from './render.js';

export interface HandlerOptions {
  readonly dispatcher: Dispatcher;
  readonly sessions: SessionStore;
  readonly interactions: InteractionStore;
  readonly api: DiscordApi;
  readonly logger: Logger;
  readonly documentBytes: number;
  /** When the work is not done by then, defer: Discord drops answers after 3 s. */
  readonly deferAfterMs?: number;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly tokenTtlMs?: number;
}

export interface InteractionHandler {
  /** Parses and answers one interaction; resolves once everything, follow-ups included, is sent. */
  handle(raw: unknown, transport: Transport): Promise<void>;
}

export const DEFAULT_DEFER_AFTER_MS = 1500;
/** Discord's 15 minutes, less a margin for clocks and the request in flight. */
export const TOKEN_TTL_MS = 14 * 60_000 + 30_000;
const CLAIM_TTL_SECONDS = 15 * 60;
const CLAIM_SCOPE = 'discord-interaction';

type Outcome = { readonly kind: 'reply'; readonly reply: Reply } | { readonly kind: 'duplicate' };

function alreadyDecided(reply: Reply): boolean {
  return typeof reply.data === 'object' && reply.data !== null && 'alreadyDecided' in reply.data;
}

/** A click replaces its prompt when it did something; refusals and "already done" are private notes. */
function clickPlan(reply: Reply, promptEphemeral: boolean): Plan {
  const { body, files } = renderReply(reply);
  if (!reply.ok || alreadyDecided(reply)) {
    return { mode: 'message', body: { ...body, flags: body.flags | EPHEMERAL }, files };
  }
  if (promptEphemeral && reply.visibility === 'channel') {
    // Only the clicker sees the prompt, so it just says what the click did; the channel gets the reply.
    return { mode: 'update', body: headline(reply), files: [], announce: { body, files } };
  }
  return { mode: 'update', body, files };
}

export function createInteractionHandler(options: HandlerOptions): InteractionHandler {
  const { dispatcher, logger } = options;
  const now = options.now ?? Date.now;
  const deferAfterMs = options.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS;
  const deps: DeliveryDeps = {
    api: options.api,
    logger,
    now,
    tokenTtlMs: options.tokenTtlMs ?? TOKEN_TTL_MS,
  };

  /** A retried delivery must not run a command twice; a store outage must not block every command. */
  async function claim(id: string): Promise<boolean> {
    try {
      return await options.interactions.claimOnce(CLAIM_SCOPE, id, CLAIM_TTL_SECONDS);
    } catch (error) {
      logger.warn(
        { err: error, interaction: id },
        'Discord: could not record the interaction id; handling it anyway',
      );
      return true;
    }
  }

  function failed(error: unknown, base: InteractionBase): Outcome {
    return {
      kind: 'reply',
      reply: renderError(error, logger, { channel: base.channel, actor: base.actor.id }),
    };
  }

  async function runCommand(incoming: CommandInteraction): Promise<Outcome> {
    const { base } = incoming;
    if (!(await claim(base.id))) return { kind: 'duplicate' };
    try {
      const values = optionValues(incoming.options);
      const fileId = attachmentId(incoming.name, values);
      const attachment = fileId === undefined ? undefined : incoming.attachments[fileId];
      const content =
        attachment === undefined
          ? undefined
          : await downloadAttachment(attachment, options.documentBytes, options.fetch);
      const invocation: Invocation = {
        text: commandText(incoming.name, values),
        actor: base.actor,
        channel: base.channel,
        supportsButtons: true,
        ...(content === undefined ? {} : { content }),
      };
      return { kind: 'reply', reply: await dispatcher.handle(invocation) };
    } catch (error) {
      return failed(error, base);
    }
  }

  async function runClick(incoming: ComponentInteraction): Promise<Outcome> {
    const { base } = incoming;
    if (!(await claim(base.id))) return { kind: 'duplicate' };
    try {
      const reply = await dispatcher.handleButton({
        buttonId: incoming.customId,
        actor: base.actor,
        channel: base.channel,
      });
      return { kind: 'reply', reply };
    } catch (error) {
      return failed(error, base);
    }
  }

  async function answer(
    base: InteractionBase,
    work: Promise<Outcome>,
    plan: (reply: Reply) => Plan,
    deferral: 'message' | 'update',
    transport: Transport,
  ): Promise<void> {
    const receivedAt = now();
    // The work's result if it is ready in time, else DEFERRED (the work carries on).
    const early = await within(work, deferAfterMs, DEFERRED);
    if (early !== DEFERRED) {
      if (early.kind === 'duplicate') return transport.duplicate();
      return deliverNow(plan(early.reply), base, transport, deps);
    }
    await transport.initial({
      type: deferral === 'message' ? Callback.DeferredMessage : Callback.DeferredUpdate,
    });
    const late = await work;
    // The first delivery owns the interaction's messages; a late-found duplicate touches none.
    if (late.kind === 'duplicate') return;
    await deliverLate(plan(late.reply), base, deferral, receivedAt, deps);
  }

  async function dispatch(incoming: Incoming, transport: Transport): Promise<void> {
    switch (incoming.kind) {
      case 'ping':
        return transport.initial({ type: Callback.Pong });
      case 'autocomplete': {
        const focused = incoming.options.find((o) => o.focused === true);
        const choices =
          focused === undefined
            ? []
            : await complete(
                incoming.name,
                { name: focused.name, value: String(focused.value ?? '') },
                optionValues(incoming.options),
                {
                  sessions: options.sessions,
                  channel: incoming.base.channel,
                  commands: dispatcher.commands,
                  storeTimeoutMs: Math.min(1000, deferAfterMs),
                },
              );
        return transport.initial({ type: Callback.Autocomplete, data: { choices } });
      }
      case 'command':
        return answer(
          incoming.base,
          runCommand(incoming),
          (reply) => ({ mode: 'message', ...renderReply(reply) }),
          'message',
          transport,
        );
      case 'component':
        return answer(
          incoming.base,
          runClick(incoming),
          (reply) => clickPlan(reply, incoming.messageEphemeral),
          'update',
          transport,
        );
      case 'other':
        return transport.initial({
          type: Callback.Message,
          data: notice('aitws does not handle this kind of interaction.'),
        });
    }
  }

  return {
    async handle(raw, transport) {
      let incoming: Incoming;
      try {
        incoming = parseInteraction(raw);
      } catch (error) {
        logger.warn({ err: error }, 'Discord: ignoring an interaction we cannot read');
        return;
      }
      try {
        await dispatch(incoming, transport);
      } catch (error) {
        logger.error(
          { err: error, interaction: incoming.kind === 'ping' ? undefined : incoming.base.id },
          'Discord: could not answer an interaction',
        );
      }
    },
  };
}
