/** The event router's vocabulary (src/runtime/events.ts): what a delivery did, and where an event came from. */
import type { ChannelKey } from '../session/port.js';
import type { HandlerResult } from './events-handler.js';
import type { RunnableVersion } from './events-version.js';
import type { RunActor, RunRecord } from './run-store.js';

export interface DeliverOptions {
  /** Who raised it (the person behind /emit; the webhook; a schedule). */
  readonly by: RunActor;
  /** The version to read triggers from, when the caller has it (/emit); else the channel's runnable one. */
  readonly version?: RunnableVersion;
}

export type TriggerOutcome =
  /** `existing`: the event was delivered before and this run was started then. */
  | { readonly kind: 'run'; readonly runId: string; readonly existing: boolean }
  | { readonly kind: 'action'; readonly type: string; readonly result: HandlerResult }
  | { readonly kind: 'refused'; readonly reason: string };

export interface FiredTrigger {
  readonly trigger: string;
  readonly handler?: string;
  readonly outcome: TriggerOutcome;
}

export interface Delivery {
  /** The event type as raised. */
  readonly type: string;
  readonly id: string;
  /** The id was handled before: nothing was done this time. */
  readonly duplicate: boolean;
  readonly fired: readonly FiredTrigger[];
  /** Runs that were waiting for the event and go on now. */
  readonly woken: readonly string[];
}

/** Where an event comes from and what it may touch. */
export interface Origin {
  readonly channel: ChannelKey;
  /** Null: the channel has no runnable version (only waiting runs can hear the event). */
  readonly version: RunnableVersion | null;
  /** The run that raised it, when one did. */
  readonly run?: RunRecord;
  readonly by: RunActor;
  /** Trigger levels behind the event: 0 for a person's, the webhook's or a schedule's. */
  readonly depth: number;
  readonly kind: 'event' | 'schedule';
}
