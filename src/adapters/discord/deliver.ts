/**
 * Getting an answer to Discord in time. The first answer must arrive within 3 s: the reply itself
 * when the work is done by then, a deferral otherwise, after which the reply is edited in through
 * the interaction's webhook for as long as its token lives (15 minutes), and posted to the channel
 * after that.
 */
import type { Logger } from '../../logging.js';
import type { CallbackBody, DiscordApi } from './api.js';
import type { InteractionBase } from './interaction.js';
import { EPHEMERAL, type MessageBody, type OutgoingFile, SUPPRESS_EMBEDS } from './render.js';

/** Discord's interaction response types used here. */
export const Callback = {
  Pong: 1,
  Message: 4,
  DeferredMessage: 5,
  DeferredUpdate: 6,
  Update: 7,
  Autocomplete: 8,
} as const;

/** How the first answer leaves: a callback over REST (gateway) or the HTTP response itself. */
export interface Transport {
  initial(body: CallbackBody, files?: readonly OutgoingFile[]): Promise<void>;
  /** An HTTP interaction response cannot carry files; such answers are deferred and edited in. */
  readonly initialFiles: boolean;
  /** Answers a second delivery of an interaction someone already claimed. */
  duplicate(): Promise<void>;
}

/**
 * What to show: a new message, or the clicked message replaced (`update`), plus optionally a
 * public follow-up (a change made from someone's private prompt that the channel should see).
 */
export interface Plan {
  readonly mode: 'message' | 'update';
  readonly body: MessageBody;
  readonly files: readonly OutgoingFile[];
  readonly announce?: { readonly body: MessageBody; readonly files: readonly OutgoingFile[] };
}

export interface DeliveryDeps {
  readonly api: DiscordApi;
  readonly logger: Logger;
  readonly now: () => number;
  /** How long after receipt the interaction token is still safe to use. */
  readonly tokenTtlMs: number;
}

/** An edit may not change whether a message is ephemeral; only this flag may be set. */
function asEdit(body: MessageBody): Partial<MessageBody> {
  return { ...body, flags: body.flags & SUPPRESS_EMBEDS };
}

/** The answer, inside the 3 s window. */
export async function deliverNow(
  plan: Plan,
  base: InteractionBase,
  transport: Transport,
  deps: DeliveryDeps,
): Promise<void> {
  const { body, files } = plan;
  const viaEdit = files.length > 0 && !transport.initialFiles;
  if (plan.mode === 'message') {
    if (viaEdit) {
      await transport.initial({ type: Callback.DeferredMessage, data: { flags: body.flags & EPHEMERAL } });
      await deps.api.editOriginal(base.token, asEdit(body), files);
    } else {
      await transport.initial({ type: Callback.Message, data: body }, files);
    }
  } else if (viaEdit) {
    await transport.initial({ type: Callback.DeferredUpdate });
    await deps.api.editOriginal(base.token, asEdit(body), files);
  } else {
    await transport.initial({ type: Callback.Update, data: asEdit(body) }, files);
  }
  if (plan.announce !== undefined)
    await deps.api.followUp(base.token, plan.announce.body, plan.announce.files);
}

/**
 * The answer after a deferral: `deferred` says which one was sent, a "thinking…" message
 * (commands) or nothing visible (button clicks).
 */
export async function deliverLate(
  plan: Plan,
  base: InteractionBase,
  deferred: 'message' | 'update',
  receivedAt: number,
  deps: DeliveryDeps,
): Promise<void> {
  const { api } = deps;
  if (deps.now() - receivedAt >= deps.tokenTtlMs) {
    if (base.channelId === undefined) {
      deps.logger.warn(
        { interaction: base.id },
        'Discord: reply too late for the interaction and no channel to post to',
      );
      return;
    }
    await api.postToChannel(base.channelId, plan.body, plan.files);
    if (plan.announce !== undefined)
      await api.postToChannel(base.channelId, plan.announce.body, plan.announce.files);
    return;
  }
  const ephemeral = (plan.body.flags & EPHEMERAL) !== 0;
  if (plan.mode === 'update') {
    await api.editOriginal(base.token, asEdit(plan.body), plan.files);
  } else if (deferred === 'update') {
    await api.followUp(base.token, plan.body, plan.files);
  } else if (ephemeral) {
    // The deferral showed a public "thinking…"; a private answer cannot take its place.
    await api.deleteOriginal(base.token);
    await api.followUp(base.token, plan.body, plan.files);
  } else {
    await api.editOriginal(base.token, asEdit(plan.body), plan.files);
  }
  if (plan.announce !== undefined) await api.followUp(base.token, plan.announce.body, plan.announce.files);
}

export const DEFERRED = Symbol('deferred');
