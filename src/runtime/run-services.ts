/**
 * What a running workflow may reach beyond the run store: chat (through whichever adapter owns
 * the run's channel), runtime events, secrets, the clock. The composition root builds one set and
 * the engine hands each action a view of it (its ActionContext).
 */

import { isTable } from '../document/tree.js';
import type { TomlTable } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { childLogger, type Logger } from '../logging.js';
import type { ChannelKey, Platform } from '../session/port.js';
import type { ActionContext, NotifyRequest, PostedMessage } from './executor.js';
import type { PlannedAction } from './plan-types.js';
import type { JsonObject, RunRecord, RunStore } from './run-store.js';
import type { RuntimeContext } from './runtime-context.js';

/** Chat as the runtime sees it; each adapter provides one (the console prints). */
export interface RunChat {
  /** Posts to `channel`; `request.target` names a `[[notifications]]` entry the adapter resolves. */
  post(channel: ChannelKey, request: NotifyRequest): Promise<PostedMessage | undefined>;
  update(message: PostedMessage, request: NotifyRequest): Promise<void>;
}

/** A runtime event on its way to the channel's triggers (src/runtime/events.ts). */
export interface RuntimeEvent {
  readonly type: string;
  /** Unique per occurrence: a second delivery of the same id starts nothing new. */
  readonly id: string;
  readonly data: JsonObject;
}

export interface RunServices {
  readonly store: RunStore;
  readonly chat: RunChat;
  readonly logger: Logger;
  /** Delivers an event raised by a run (lifecycle or `emit`) to the channel's triggers. */
  raise(run: RunRecord, event: RuntimeEvent): Promise<void>;
  /** `${secret:NAME}`'s value, undefined when it is not configured. */
  secret(name: string): string | undefined;
  now(): Date;
}

export interface StepPlace {
  readonly action: PlannedAction;
  readonly key: string;
  readonly idempotencyKey: string;
  readonly runtime: RuntimeContext;
}

export function actionContext(
  services: RunServices,
  run: RunRecord,
  place: StepPlace,
  attempt: number,
  signal: AbortSignal,
): ActionContext {
  const { action, key } = place;
  const store = services.store;
  return {
    runId: run.id,
    channel: run.channel,
    document: run.document,
    stage: action.stage,
    action: action.name,
    stepKey: key,
    idempotencyKey: place.idempotencyKey,
    attempt,
    startedBy: run.startedBy,
    runtime: place.runtime,
    signal,
    logger: childLogger(services.logger, { runId: run.id, step: key }),
    now: () => services.now(),
    secret: (name) => {
      const value = services.secret(name);
      if (value === undefined)
        throw new AitwsError('SECRET_MISSING', `The secret ${name} is not configured.`, {
          hint: `Set AITWS_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')} for the workers (or a file ${name} in AITWS_SECRETS_DIR).`,
        });
      return value;
    },
    notify: (request) => services.chat.post(notificationChannel(run, request.target), request),
    updateMessage: (message, request) => services.chat.update(message, request),
    emit: (event, data) => services.raise(run, { type: event, id: `${run.id}/${key}/${event}`, data }),
    readMemo: () => store.readStepMemo(run.id, key),
    writeMemo: (expected, value) => store.writeStepMemo(run.id, key, expected, value),
    workflow: run.workflow,
    readRunMemo: (memoKey) => store.readStepMemo(run.id, memoKey),
    writeRunMemo: (memoKey, expected, value) => store.writeStepMemo(run.id, memoKey, expected, value),
    readMemoOf: (runId, memoKey) => store.readStepMemo(runId, memoKey),
  };
}

const PLATFORMS: readonly Platform[] = ['slack', 'discord', 'console'];

/**
 * Where a message goes: the run's channel, or the channel a `[[notifications]]` entry names
 * (`type` = slack, discord or console, `target` = that platform's channel id). Email and webhook
 * notifications are not chat: an http.request action sends to a webhook.
 */
function notificationChannel(run: RunRecord, target: string | undefined): ChannelKey {
  if (target === undefined) return run.channel;
  const entries = run.document.notifications;
  const entry = Array.isArray(entries)
    ? entries.find((item): item is TomlTable => isTable(item) && item.name === target)
    : undefined;
  const platform = PLATFORMS.find((name) => name === entry?.type);
  const channel = entry?.target;
  if (platform === undefined || typeof channel !== 'string' || channel === '')
    throw new AitwsError(
      'PARAMETER',
      `The notification ${target} is not a chat channel this runtime can post to.`,
      {
        hint: 'Give it type = "slack", "discord" or "console" and target = the channel id; send webhooks with http.request.',
      },
    );
  const workspace = platform === run.channel.platform ? run.channel.workspace : '';
  return { platform, workspace, channel };
}
