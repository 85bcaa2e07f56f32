/**
 * The run store port: the truth about workflow runs (the run record and its step journal).
 *
 * A run executes one approved version (content hash) of a channel's document. Every transition is
 * persisted here before it is acted on, as a compare-and-set on the record's revision, so a stalled
 * worker that wakes late cannot overwrite newer state. The step journal makes resumption cheap: a
 * step that succeeded (or was skipped) is final, and recording it again returns the stored one.
 *
 * Implementations: MemoryRunStore (src/runtime/run-store-memory.ts). All pass the contract suite in
 * test/contracts/run-store.contract.ts.
 */
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import type { JsonObject, JsonValue } from '../session/codec-values.js';
import type { ChannelKey } from '../session/port.js';

export type { JsonObject, JsonValue };

export type RunState = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out';

export const FINAL_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];

export function isFinal(state: RunState): boolean {
  return FINAL_STATES.includes(state);
}

/**
 * The allowed transitions. A non-final state may "move" to itself (progress: position, attempt,
 * deadline). Succeeded and cancelled allow nothing, so such a run is never written again; a failed
 * or timed-out run may go back to queued once, by /retry (a new attempt that keeps the completed
 * steps).
 */
export const RUN_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ['queued', 'running', 'cancelled', 'failed', 'timed_out'],
  running: ['running', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out'],
  waiting: ['waiting', 'running', 'failed', 'cancelled', 'timed_out'],
  succeeded: [],
  failed: ['queued'],
  cancelled: [],
  timed_out: ['queued'],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** Throws a USAGE error (a caller bug, not a race) when `from → to` is not in the table. */
export function assertTransition(from: RunState, to: RunState): void {
  if (canTransition(from, to)) return;
  const allowed = RUN_TRANSITIONS[from];
  throw new AitwsError('USAGE', `A run cannot go from ${from} to ${to}.`, {
    hint: allowed.length === 0 ? `${from} is final.` : `From ${from} it can go to: ${allowed.join(', ')}.`,
  });
}

export interface WorkflowRef {
  readonly name: string;
  /** The draft version number the approval was given on. */
  readonly version: number;
  /** Content hash of the approved document, `sha256:…`. */
  readonly hash: string;
}

export interface RunActor {
  readonly id: string;
  readonly name: string;
}

export interface RunPosition {
  readonly stage: string;
  readonly action?: string;
}

export interface RunError {
  readonly code: string;
  readonly message: string;
}

export interface WaitingFor {
  readonly kind: 'approval' | 'event' | 'delay';
  readonly key: string;
  /** ISO-8601: when a delay ends, or when waiting for an approval/event gives up. */
  readonly until?: string;
}

export interface RunRecord {
  readonly id: string;
  readonly channel: ChannelKey;
  readonly workflow: WorkflowRef;
  /** The approved document snapshot the run executes (never the live draft). */
  readonly document: AitwsDocument;
  readonly inputs: JsonObject;
  readonly state: RunState;
  /** 1 on create, +1 on every successful update. */
  readonly revision: number;
  /** How many times a worker has picked the run up (1 on first start). */
  readonly attempt: number;
  readonly startedBy: RunActor;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601; for a finished run, when it finished (retention goes by this). */
  readonly updatedAt: string;
  /** ISO-8601: after this the run is timed_out. */
  readonly deadline: string;
  readonly position?: RunPosition;
  readonly error?: RunError;
  readonly waitingFor?: WaitingFor;
}

/** What `create` takes: a record without its revision (the store sets 1). State must be queued. */
export type NewRun = Omit<RunRecord, 'revision'>;

/**
 * What `update` takes: the mutable part of a run, replaced as a whole (an optional field left out
 * or undefined is cleared). Other fields of an object passed here (`{ ...current, state }`) are
 * ignored: id, channel, workflow, document, inputs, startedBy and createdAt never change.
 */
export interface RunChange {
  readonly state: RunState;
  readonly attempt: number;
  readonly updatedAt: string;
  readonly deadline: string;
  readonly position?: RunPosition | undefined;
  readonly error?: RunError | undefined;
  readonly waitingFor?: WaitingFor | undefined;
}

export type UpdateResult =
  | { readonly ok: true; readonly revision: number }
  /** `current` is the stored record (null when the run is unknown or was removed). */
  | { readonly ok: false; readonly current: RunRecord | null };

export type StepState = 'started' | 'succeeded' | 'failed' | 'skipped';

export interface StepRecord {
  /** `stage/action#iteration`. */
  readonly key: string;
  /** 1 on the first 'started', +1 on each later 'started' over a started or failed step. */
  readonly attempt: number;
  readonly state: StepState;
  /** Passed to the side effect so a step run again (at-least-once) is not applied twice. */
  readonly idempotencyKey: string;
  /** ISO-8601. */
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly output?: JsonValue;
  readonly error?: RunError;
}

/** See RunStore.readStepMemo. */
export interface StepMemo {
  /** 1 on the first write, +1 on each later one. */
  readonly revision: number;
  readonly value: JsonObject;
}

/** What `recordStep` takes: the store counts the attempt. */
export type StepInput = Omit<StepRecord, 'attempt'>;

export function isFinalStep(state: StepState): boolean {
  return state === 'succeeded' || state === 'skipped';
}

export interface ListOptions {
  /** A positive integer. */
  readonly limit: number;
  /** Only runs in one of these states (all states when absent). */
  readonly states?: readonly RunState[];
}

export interface RunStore {
  /** Stores a new run at revision 1 and returns it. CONFLICT when the id exists, USAGE unless queued. */
  create(run: NewRun): Promise<RunRecord>;
  /** null when unknown. */
  read(id: string): Promise<RunRecord | null>;
  /**
   * Compare-and-set: applies `next` only when the stored revision is `expectedRevision`. A stale
   * revision (or unknown id) changes nothing and returns the current record. A disallowed
   * transition from the expected revision throws USAGE (see assertTransition).
   */
  update(id: string, expectedRevision: number, next: RunChange): Promise<UpdateResult>;
  /**
   * Journals a step and returns what is stored. A succeeded/skipped step is final: any later
   * record of the same key (even 'started') is ignored and the stored step is returned, which is
   * how a resumed run skips completed work. USAGE when the run is unknown.
   */
  recordStep(id: string, step: StepInput): Promise<StepRecord>;
  /** The journal in the order the steps were first recorded; empty when the run is unknown. */
  steps(id: string): Promise<StepRecord[]>;
  /**
   * Ids of every run not in a final state, in any channel (at most `limit`): what a process that
   * starts working on runs must pick up again (embedded mode keeps no queue across restarts).
   */
  unfinished(limit: number): Promise<string[]>;
  /** The channel's runs, newest (createdAt) first. */
  list(channel: ChannelKey, options: ListOptions): Promise<RunRecord[]>;
  /**
   * Durable data a step keeps while it waits (an approval's votes and message, when a delay ends,
   * the event that ended a wait), one JSON object per step key with its own revision. null when
   * none was written (or the run is unknown).
   */
  readStepMemo(id: string, key: string): Promise<StepMemo | null>;
  /**
   * Compare-and-set on the memo's revision: writes `value` only when the stored revision is
   * `expectedRevision` (0: nothing stored yet) and returns true; false otherwise (someone else
   * wrote first: read and try again). USAGE when the run is unknown.
   */
  writeStepMemo(id: string, key: string, expectedRevision: number, value: JsonObject): Promise<boolean>;
  /** Retention: removes finished runs (and their steps and step memos) with updatedAt before `date`. */
  removeFinishedBefore(date: Date): Promise<number>;
  close(): Promise<void>;
}

/** USAGE unless `limit` is a positive integer. */
export function assertLimit(limit: number): void {
  if (Number.isInteger(limit) && limit > 0) return;
  throw new AitwsError('USAGE', `A run list limit must be a positive integer, not ${limit}.`);
}

/** The stored mutable part of a change: only the RunChange fields, no undefined values. */
export function changedFields(next: RunChange): Omit<RunChange, 'position' | 'error' | 'waitingFor'> & {
  position?: RunPosition;
  error?: RunError;
  waitingFor?: WaitingFor;
} {
  return {
    state: next.state,
    attempt: next.attempt,
    updatedAt: next.updatedAt,
    deadline: next.deadline,
    ...(next.position === undefined ? {} : { position: next.position }),
    ...(next.error === undefined ? {} : { error: next.error }),
    ...(next.waitingFor === undefined ? {} : { waitingFor: next.waitingFor }),
  };
}

/** The step to store when `input` is recorded over `stored` (undefined when none yet). */
export function nextStep(stored: StepRecord | undefined, input: StepInput): StepRecord {
  if (stored !== undefined && isFinalStep(stored.state)) return stored;
  const previous = stored?.attempt ?? 0;
  const attempt = input.state === 'started' || stored === undefined ? previous + 1 : previous;
  const startedAt = input.state === 'started' ? input.startedAt : (stored?.startedAt ?? input.startedAt);
  return { ...input, attempt, startedAt };
}
