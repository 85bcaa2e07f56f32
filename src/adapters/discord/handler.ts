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
import { createInOrder, type InOrder } from '../in-order.js';
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

const DEFAULT_DEFER_AFTER_MS = 1500;
/** Discord's 15 minutes, less a margin for clocks and the request in flight. */
const TOKEN_TTL_MS = 14 * 60_000 + 30_000;
const CLAIM_TTL_SECONDS = 15 * 60;
const CLAIM_SCOPE = 'discord-interaction';
/**
 * How long a click's answer waits for an earlier answer on the same message: short enough that it
 * still reaches Discord within the 3 s a first answer has.
 */
const ORDER_WAIT_MS = 500;

type Outcome = { readonly kind: 'reply'; readonly reply: Reply } | { readonly kind: 'duplicate' };

function alreadyDecided(reply: Reply): boolean {
  return typeof reply.data === 'object' && reply.data !== null && 'alreadyDecided' in reply.data;
}

/**
 * How a click's reply shows. The core may decide (Reply.clickEffect): in place of the clicked
 * message, buttons included, or to the clicker alone. Otherwise a click replaces its prompt when it
 * did something, and refusals and "already done" are private notes.
 */
function clickPlan(reply: Reply, promptEphemeral: boolean): Plan {
  const { body, files } = renderReply(reply);
  if (reply.clickEffect === 'replace') return { mode: 'update', body, files };
  if (reply.clickEffect === 'private' || !reply.ok || alreadyDecided(reply)) {
    return { mode: 'message', body: { ...body, flags: body.flags | EPHEMERAL }, files };
  }
  if (promptEphemeral && reply.visibility === 'channel') {
    // Only the clicker sees the prompt, so it just says what the click did; the channel gets the reply.
    return { mode: 'update', body: headline(reply), files: [], announce: { body, files } };
  }
  return { mode: 'update', body, files };
}

/** What every step of handling an interaction shares. */
interface Scope {
  readonly options: HandlerOptions;
  readonly logger: Logger;
  readonly now: () => number;
  readonly deferAfterMs: number;
  readonly delivery: DeliveryDeps;
  readonly inOrder: InOrder;
}

/** A retried delivery must not run a command twice; a store outage must not block every command. */
async function claim(scope: Scope, id: string): Promise<boolean> {
  try {
    return await scope.options.interactions.claimOnce(CLAIM_SCOPE, id, CLAIM_TTL_SECONDS);
  } catch (error) {
    scope.logger.warn(
      { err: error, interaction: id },
      'Discord: could not record the interaction id; handling it anyway',
    );
    return true;
  }
}

function failed(scope: Scope, error: unknown, base: InteractionBase): Outcome {
  return {
    kind: 'reply',
    reply: renderError(error, scope.logger, { channel: base.channel, actor: base.actor.id }),
  };
}

/** The command as the core's Invocation, with the text of its attached file when it takes one. */
async function invocationFor(scope: Scope, incoming: CommandInteraction): Promise<Invocation> {
  const values = optionValues(incoming.options);
  const fileId = attachmentId(incoming.name, values);
  const attachment = fileId === undefined ? undefined : incoming.attachments[fileId];
  const content =
    attachment === undefined
      ? undefined
      : await downloadAttachment(attachment, scope.options.documentBytes, scope.options.fetch);
  return {
    text: commandText(incoming.name, values),
    actor: incoming.base.actor,
    channel: incoming.base.channel,
    supportsButtons: true,
    ...(content === undefined ? {} : { content }),
  };
}

async function runCommand(scope: Scope, incoming: CommandInteraction): Promise<Outcome> {
  const { base } = incoming;
  if (!(await claim(scope, base.id))) return { kind: 'duplicate' };
  try {
    const invocation = await invocationFor(scope, incoming);
    return { kind: 'reply', reply: await scope.options.dispatcher.handle(invocation) };
  } catch (error) {
    return failed(scope, error, base);
  }
}

async function runClick(scope: Scope, incoming: ComponentInteraction): Promise<Outcome> {
  const { base } = incoming;
  if (!(await claim(scope, base.id))) return { kind: 'duplicate' };
  try {
    const reply = await scope.options.dispatcher.handleButton({
      buttonId: incoming.customId,
      actor: base.actor,
      channel: base.channel,
    });
    return { kind: 'reply', reply };
  } catch (error) {
    return failed(scope, error, base);
  }
}

/** Work under way for one interaction, and how its reply is shown. */
interface Answering {
  readonly base: InteractionBase;
  readonly work: Promise<Outcome>;
  readonly plan: (reply: Reply) => Plan;
  readonly deferral: 'message' | 'update';
  /** Answers with the same key go out in the order their replies were ready (clicks on one message). */
  readonly orderKey?: string | undefined;
}

async function answer(scope: Scope, answering: Answering, transport: Transport): Promise<void> {
  const { base, work, plan, deferral, orderKey } = answering;
  const receivedAt = scope.now();
  // The work's result if it is ready in time, else DEFERRED (the work carries on).
  const early = await within(work, scope.deferAfterMs, DEFERRED);
  if (early !== DEFERRED) {
    if (early.kind === 'duplicate') return transport.duplicate();
    const ready = plan(early.reply);
    return scope.inOrder(orderKey, () => deliverNow(ready, base, transport, scope.delivery));
  }
  await transport.initial({
    type: deferral === 'message' ? Callback.DeferredMessage : Callback.DeferredUpdate,
  });
  const late = await work;
  // The first delivery owns the interaction's messages; a late-found duplicate touches none.
  if (late.kind === 'duplicate') return;
  const ready = plan(late.reply);
  await scope.inOrder(orderKey, () => deliverLate(ready, base, deferral, receivedAt, scope.delivery));
}

async function autocomplete(scope: Scope, incoming: CommandInteraction, transport: Transport): Promise<void> {
  const focused = incoming.options.find((o) => o.focused === true);
  const choices =
    focused === undefined
      ? []
      : await complete(
          incoming.name,
          { name: focused.name, value: String(focused.value ?? '') },
          optionValues(incoming.options),
          {
            sessions: scope.options.sessions,
            channel: incoming.base.channel,
            commands: scope.options.dispatcher.commands,
            storeTimeoutMs: Math.min(1000, scope.deferAfterMs),
          },
        );
  return transport.initial({ type: Callback.Autocomplete, data: { choices } });
}

async function dispatch(scope: Scope, incoming: Incoming, transport: Transport): Promise<void> {
  switch (incoming.kind) {
    case 'ping':
      return transport.initial({ type: Callback.Pong });
    case 'autocomplete':
      return autocomplete(scope, incoming, transport);
    case 'command': {
      const work = runCommand(scope, incoming);
      const plan = (reply: Reply): Plan => ({ mode: 'message', ...renderReply(reply) });
      return answer(scope, { base: incoming.base, work, plan, deferral: 'message' }, transport);
    }
    case 'component': {
      const work = runClick(scope, incoming);
      const plan = (reply: Reply): Plan => clickPlan(reply, incoming.messageEphemeral);
      // Two votes at once on one message: the later reply must be the one left showing.
      const orderKey = incoming.messageId;
      return answer(scope, { base: incoming.base, work, plan, deferral: 'update', orderKey }, transport);
    }
    case 'other':
      return transport.initial({
        type: Callback.Message,
        data: notice('aitws does not handle this kind of interaction.'),
      });
  }
}

export function createInteractionHandler(options: HandlerOptions): InteractionHandler {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const scope: Scope = {
    options,
    logger,
    now,
    deferAfterMs: options.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS,
    delivery: { api: options.api, logger, now, tokenTtlMs: options.tokenTtlMs ?? TOKEN_TTL_MS },
    inOrder: createInOrder(ORDER_WAIT_MS),
  };
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
        await dispatch(scope, incoming, transport);
      } catch (error) {
        logger.error(
          { err: error, interaction: incoming.kind === 'ping' ? undefined : incoming.base.id },
          'Discord: could not answer an interaction',
        );
      }
    },
  };
}
