/**
 * The one compare-and-set loop every change to a session goes through: read, compute, write only
 * if nobody wrote in between, otherwise back off and start again from the fresh record. Two people
 * editing one channel at once both land; neither change is lost or applied to a stale draft.
 */

import type { AitwsDocument } from '../document/types.js';
import { ConflictError } from '../errors.js';
import {
  type ChangeToWrite,
  type ChannelKey,
  markersOf,
  type SessionRecord,
  type SessionStore,
} from './port.js';

/** What `mutate` decided: a new document to store as the next version… */
export interface Change<T> {
  readonly document: AitwsDocument | null;
  /** One line for history, usually the command as typed. */
  readonly change: string;
  readonly by: string;
  /** For /undo: the version whose change this one reverts. */
  readonly reverts?: number;
  /** For /redo: the /undo version this one cancels. */
  readonly redoes?: number;
  readonly result: T;
}

/** …or that there is nothing to write (the result is returned all the same). */
export interface NoChange<T> {
  readonly noChange: true;
  readonly result: T;
}

export type Mutation<T> = Change<T> | NoChange<T>;

/**
 * Called once per attempt with the record as it is now. It may run again after a conflict, so it
 * must not have side effects outside its return value. Throwing aborts: nothing is written.
 */
export type Mutate<T> = (current: SessionRecord) => Mutation<T> | Promise<Mutation<T>>;

export interface ApplyOptions {
  readonly now?: () => Date;
  /** Total attempts before giving up with ConflictError. Default 20. */
  readonly maxAttempts?: number;
  /** First backoff ceiling; it doubles per conflict up to maxDelayMs. Default 4 ms. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); injectable so tests can pin the jitter. */
  readonly random?: () => number;
}

export interface Applied<T> {
  /** The version now current: the one written, or the one read when there was nothing to write. */
  readonly version: number;
  readonly record: SessionRecord;
  readonly result: T;
  readonly changed: boolean;
  /** How many attempts it took (1 when there was no conflict). */
  readonly attempts: number;
}

export const APPLY_DEFAULTS = {
  maxAttempts: 20,
  baseDelayMs: 4,
  maxDelayMs: 400,
} as const satisfies Pick<Required<ApplyOptions>, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * "Full jitter": a uniform delay below an exponentially growing ceiling spreads competing writers
 * apart instead of letting them collide again in lockstep.
 */
export function backoffDelay(
  attempt: number,
  random: number,
  baseDelayMs: number,
  maxDelayMs: number,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return random * ceiling;
}

function isNoChange<T>(mutation: Mutation<T>): mutation is NoChange<T> {
  return 'noChange' in mutation && mutation.noChange;
}

function toWrite(change: Change<unknown>, at: string): ChangeToWrite {
  const { document, by } = change;
  return { document, at, by, change: change.change, ...markersOf(change) };
}

function writtenRecord(version: number, change: ChangeToWrite): SessionRecord {
  return { version, document: change.document, updatedAt: change.at, updatedBy: change.by };
}

export async function applyChange<T>(
  store: SessionStore,
  key: ChannelKey,
  mutate: Mutate<T>,
  options: ApplyOptions = {},
): Promise<Applied<T>> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? APPLY_DEFAULTS.maxAttempts));
  const baseDelayMs = options.baseDelayMs ?? APPLY_DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? APPLY_DEFAULTS.maxDelayMs;

  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const current = await store.read(key);
    const mutation = await mutate(current);
    if (isNoChange(mutation)) {
      return {
        version: current.version,
        record: current,
        result: mutation.result,
        changed: false,
        attempts: attempt,
      };
    }
    const change = toWrite(mutation, now().toISOString());
    const written = await store.write(key, current.version, change);
    if (written.ok) {
      const record = writtenRecord(written.version, change);
      return { version: written.version, record, result: mutation.result, changed: true, attempts: attempt };
    }
    if (attempt < maxAttempts) await sleep(backoffDelay(attempt, random(), baseDelayMs, maxDelayMs));
  }
  throw new ConflictError();
}
