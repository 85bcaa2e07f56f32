/**
 * RunStore on Redis (standalone, Sentinel or Cluster); keys and scripts in run-store-redis-keys.ts,
 * the index readers in run-store-redis-lists.ts and retention in run-store-redis-retention.ts.
 *
 * Every change to a run is one Lua script over that run's keys (one hash tag): create, update
 * (compare-and-set on the revision, with the transition check), recordStep (the final-step rule
 * and attempt counting; O(1): a hash write and, for a new key, one RPUSH) and writeStepMemo. Each
 * carries a random write id, so a command the client resends after a reconnect reports its first
 * delivery's result instead of losing to itself. steps() is one script, one round trip.
 *
 * The indexes (a channel's runs, retention, active runs) live in other slots, so no script can
 * update them with the run; they are hints, written so that no run is ever missing from them:
 *   - create adds the run to all three (ZADD NX) before the run itself is written. An entry whose
 *     run never got written, or is gone, is skipped by its readers.
 *   - a run's retention score is never later than the moment it may be removed: createdAt (or an
 *     earlier updatedAt) at create, its updatedAt when it finishes. If that last ZADD is lost, the
 *     run is met early, and the removal script itself checks state and updatedAt and re-scores it.
 *   - a run leaves the active set after it finished, and joins it again before /retry queues it.
 *
 * Every command settles within commandTimeoutMs and fails as StorageUnavailableError. As with the
 * access store, a CAS that times out is not fenced: it may still be applied when it arrives late.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AitwsError, StorageUnavailableError } from '../errors.js';
import { unreadableDataError } from '../session/codec.js';
import type { ChannelKey } from '../session/port.js';
import { runScript, translateFailure, withTimeout } from '../session/redis-call.js';
import type { RedisClient } from '../session/redis-client.js';
import type { LuaScript } from '../session/redis-scripts.js';
import {
  assertTransition,
  canTransition,
  FINAL_STATES,
  isFinal,
  type JsonObject,
  type ListOptions,
  type NewRun,
  RUN_TRANSITIONS,
  type RunChange,
  type RunRecord,
  type RunStore,
  type StepInput,
  type StepMemo,
  type StepRecord,
  type UpdateResult,
} from './run-store.js';
import {
  decodeChange,
  decodeFixed,
  decodeMemo,
  decodeStep,
  encodeChange,
  fixedToJson,
  isRunState,
  runOf,
} from './run-store-codec.js';
import {
  createRunKeys,
  RUN_CREATE,
  RUN_MEMO,
  RUN_STEP,
  RUN_STEPS,
  RUN_UPDATE,
  type RunStoreKeys,
} from './run-store-redis-keys.js';
import { type IndexReader, listChannel, listUnfinished } from './run-store-redis-lists.js';
import { removeFinishedRuns } from './run-store-redis-retention.js';

export interface RedisRunStoreOptions {
  /** Key prefix, shared with the session store. Default `aitws`. */
  readonly prefix?: string;
  /** Upper bound for every Redis command. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** close() also closes the client. Leave false when the client is shared. */
  readonly ownsClient?: boolean;
}

/** A date that does not parse is never due for retention, as in the memory store. */
const NEVER = Number.MAX_SAFE_INTEGER;

const updateReply = z.union([
  z.tuple([z.literal('ok'), z.number().int()]),
  z.tuple([z.literal('stale'), z.number().int(), z.string(), z.string()]),
  z.tuple([z.literal('missing')]),
  z.tuple([z.literal('refused'), z.string()]),
]);
const stepReply = z.tuple([z.enum(['ok', 'missing', 'unreadable']), z.string().optional()]);
const memoReply = z.enum(['ok', 'stale', 'missing', 'unreadable']);

export class RedisRunStore implements RunStore {
  readonly #client: RedisClient;
  readonly #keys: RunStoreKeys;
  readonly #timeoutMs: number;
  readonly #ownsClient: boolean;
  #closed = false;

  constructor(client: RedisClient, options: RedisRunStoreOptions = {}) {
    this.#client = client;
    this.#keys = createRunKeys(options.prefix ?? 'aitws');
    const timeout = options.commandTimeoutMs ?? 2000;
    if (!Number.isSafeInteger(timeout) || timeout < 1) {
      throw new AitwsError(
        'CONFIG',
        `RedisRunStore option commandTimeoutMs must be a positive integer, got ${timeout}.`,
      );
    }
    this.#timeoutMs = timeout;
    this.#ownsClient = options.ownsClient ?? false;
  }

  async create(run: NewRun): Promise<RunRecord> {
    if (run.state !== 'queued') throw new AitwsError('USAGE', `A new run must be queued, not ${run.state}.`);
    const keys = this.#keys.run(run.id);
    const fixedJson = fixedToJson(run);
    const fixed = JSON.stringify(fixedJson);
    const channel = JSON.stringify(fixedJson.channel);
    const change = encodeChange(run);
    const createdMs = msOf(run.createdAt);
    const retentionScore = Math.min(createdMs === NEVER ? 0 : createdMs, msOf(run.updatedAt));
    // Indexed first, so a crash after the script cannot leave the run out (see the module comment).
    const indexes = [
      { key: this.#keys.channel(run.channel), score: createdMs === NEVER ? 0 : createdMs },
      { key: this.#keys.retention, score: retentionScore },
      { key: this.#keys.active, score: createdMs === NEVER ? 0 : createdMs },
    ];
    const added = await Promise.all(
      indexes.map(({ key, score }) => this.#call(() => this.#client.zadd(key, 'NX', score, run.id))),
    );
    const args = [fixed, change, msOf(run.updatedAt), randomUUID(), channel];
    const status = await this.#script(RUN_CREATE, [keys.record], args, z.enum(['ok', 'exists']));
    if (status === 'exists') {
      // Take back only entries this call added: the stored run's own entries stay as they were.
      const ours = indexes.filter((_, at) => added[at] === 1);
      await Promise.all(ours.map(({ key }) => this.#call(() => this.#client.zrem(key, run.id)))).catch(
        () => undefined,
      );
      throw new AitwsError('CONFLICT', `A run with id ${run.id} already exists; nothing was changed.`);
    }
    return runOf(decodeFixed(fixed, keys.record), decodeChange(change, keys.record), 1);
  }

  async read(id: string): Promise<RunRecord | null> {
    const { record } = this.#keys.run(id);
    const [fixed, change, revision] = await this.#call(() =>
      this.#client.hmget(record, 'fixed', 'change', 'revision'),
    );
    if (fixed === null || fixed === undefined) return null;
    return decodeRun(record, fixed, change ?? null, revision ?? null);
  }

  async update(id: string, expectedRevision: number, next: RunChange): Promise<UpdateResult> {
    const { record } = this.#keys.run(id);
    const allowedFrom = Object.keys(RUN_TRANSITIONS)
      .filter(isRunState)
      .filter((from) => canTransition(from, next.state));
    const updatedMs = msOf(next.updatedAt);
    const args = [
      expectedRevision,
      next.state,
      encodeChange(next),
      updatedMs,
      randomUUID(),
      allowedFrom.join(' '),
    ];
    // Only queued leads out of a final state (/retry): such a run must be active again before it
    // is queued, or a restart could miss it. Other targets are reached from non-final states only.
    if (next.state === 'queued') {
      await this.#call(() => this.#client.zadd(this.#keys.active, 'NX', Date.now(), id));
    }
    const reply = await this.#script(RUN_UPDATE, [record], args, updateReply);
    switch (reply[0]) {
      case 'ok':
        if (isFinal(next.state)) await this.#finished(id, updatedMs);
        return { ok: true, revision: reply[1] };
      case 'stale':
        return { ok: false, current: decodeRun(record, reply[2], reply[3], String(reply[1])) };
      case 'missing':
        return { ok: false, current: null };
      case 'refused':
        if (!isRunState(reply[1])) throw unreadableDataError(record, `its state "${reply[1]}" is unknown`);
        assertTransition(reply[1], next.state);
        throw new Error(`Redis script "${RUN_UPDATE.name}" refused an allowed transition`);
    }
  }

  async recordStep(id: string, step: StepInput): Promise<StepRecord> {
    const keys = this.#keys.run(id);
    const { key, state, idempotencyKey, finishedAt, output, error } = step;
    // Everything but attempt and startedAt, which the script prepends; key first, so never empty.
    const body = JSON.stringify({ key, state, idempotencyKey, finishedAt, output, error });
    const args = [key, state, step.startedAt, body, randomUUID()];
    const reply = await this.#script(RUN_STEP, [keys.record, keys.steps, keys.order], args, stepReply);
    const [status, json] = reply;
    if (status === 'missing')
      throw new AitwsError('USAGE', `No run ${id}; its step ${key} was not recorded.`);
    if (json === undefined) throw unreadableDataError(`${keys.steps} (${key})`, 'it is not a step');
    return decodeStep(json, `${keys.steps} (${key})`);
  }

  async steps(id: string): Promise<StepRecord[]> {
    const keys = this.#keys.run(id);
    const reply = await this.#script(RUN_STEPS, [keys.steps, keys.order], [], z.array(z.string().nullable()));
    return reply.flatMap((json) => (json === null ? [] : [decodeStep(json, keys.steps)]));
  }

  async readStepMemo(id: string, key: string): Promise<StepMemo | null> {
    const { memos } = this.#keys.run(id);
    const raw = await this.#call(() => this.#client.hget(memos, key));
    return raw === null ? null : decodeMemo(raw, `${memos} (${key})`);
  }

  async writeStepMemo(
    id: string,
    key: string,
    expectedRevision: number,
    value: JsonObject,
  ): Promise<boolean> {
    const keys = this.#keys.run(id);
    const args = [key, expectedRevision, JSON.stringify(value), randomUUID()];
    const status = await this.#script(RUN_MEMO, [keys.record, keys.memos], args, memoReply);
    if (status === 'missing') {
      throw new AitwsError('USAGE', `No run ${id}; the memo of its step ${key} was not written.`);
    }
    if (status === 'unreadable') throw unreadableDataError(`${keys.memos} (${key})`, 'it is not a step memo');
    return status === 'ok';
  }

  list(channel: ChannelKey, options: ListOptions): Promise<RunRecord[]> {
    return listChannel(this.#lists(), channel, options);
  }

  unfinished(limit: number): Promise<string[]> {
    return listUnfinished(this.#lists(), limit);
  }

  removeFinishedBefore(date: Date): Promise<number> {
    return removeFinishedRuns({
      client: this.#client,
      keys: this.#keys,
      cutoffMs: date.getTime(),
      finalStates: FINAL_STATES,
      call: (send) => this.#call(send),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    try {
      await withTimeout(this.#client.quit(), this.#timeoutMs);
    } catch {
      // Unreachable Redis: dropping the socket is all close() can still do.
    }
    this.#client.disconnect();
  }

  #lists(): IndexReader {
    return {
      client: this.#client,
      keys: this.#keys,
      call: (send) => this.#call(send),
      read: (id) => this.read(id),
    };
  }

  /** After a run finished: re-scored for retention and no longer active. */
  async #finished(id: string, updatedMs: number): Promise<void> {
    try {
      await Promise.all([
        updatedMs === NEVER ? 0 : this.#call(() => this.#client.zadd(this.#keys.retention, updatedMs, id)),
        this.#call(() => this.#client.zrem(this.#keys.active, id)),
      ]);
    } catch {
      // The update is applied. A run left with its earlier (lower) retention score is met early
      // and checked by retention itself; one left active is skipped by unfinished once read.
    }
  }

  async #script<T>(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    reply: z.ZodType<T>,
  ): Promise<T> {
    const raw = await this.#call(() => runScript(this.#client, script, keys, args));
    const parsed = reply.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new Error(`Unexpected reply from Redis script "${script.name}": ${parsed.error.message}`);
  }

  #call<T>(send: () => Promise<T>): Promise<T> {
    if (this.#closed)
      return Promise.reject(new StorageUnavailableError('The run store is closed; nothing was changed.'));
    return withTimeout(translateFailure(send), this.#timeoutMs);
  }
}

/** Milliseconds since the epoch, or NEVER for a date that does not parse. */
function msOf(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : NEVER;
}

function decodeRun(source: string, fixed: string, change: string | null, revision: string | null): RunRecord {
  if (change === null || revision === null || !/^\d{1,15}$/.test(revision)) {
    throw unreadableDataError(source, 'the run record is incomplete');
  }
  return runOf(decodeFixed(fixed, source), decodeChange(change, source), Number(revision));
}
