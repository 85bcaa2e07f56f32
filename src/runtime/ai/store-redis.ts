/**
 * The AI stores (stores.ts) on Redis (standalone, Sentinel or Cluster):
 *
 *   <prefix>:{aicache:<sha256>}:response                 string, JSON value, SET with PX
 *   <prefix>:{aibudget:<workspace>:<YYYY-MM>}:spent       integer, micro-dollars, ~40 days
 *   <prefix>:{aibudget:<workspace>:<YYYY-MM>}:charged     set of idempotency keys, ~40 days
 *   <prefix>:{aidrift:<channel>:<workflow>:<action>}:samples   list of sample JSON, newest first
 *
 * Each operation touches keys of one hash tag, so one slot on Cluster: a charge is one script
 * (SADD, and INCRBY only when the key was new), a drift record one script (LPUSH, LTRIM, LRANGE).
 * Every command settles within commandTimeoutMs and fails as StorageUnavailableError; a charge
 * that timed out may still be applied, and its retry with the same key then counts once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { parseStored, unreadableDataError } from '../../session/codec.js';
import { runScript, translateFailure, withTimeout } from '../../session/redis-call.js';
import type { RedisClient } from '../../session/redis-client.js';
import { createRedisKeys, DEFAULT_REDIS_PREFIX, encodeComponent } from '../../session/redis-keys.js';
import type { LuaScript } from '../../session/redis-scripts.js';
import type { JsonObject } from '../run-store.js';
import type { WorkspaceBudget } from './budget.js';
import {
  type BudgetLimit,
  chargeMicros,
  checkedSample,
  checkedWindow,
  digest,
  driftSampleSchema,
  driftSeries,
  jsonObjectSchema,
  limitOf,
  monthOf,
  remainingUsd,
  summarise,
  ttlMs,
} from './store-common.js';
import type { AiResponseCache, DriftSample, DriftStore, DriftSummary, WorkflowScope } from './stores.js';

export interface RedisAiStoreOptions {
  /** Key prefix, shared with the other stores. Default `aitws`. */
  readonly prefix?: string;
  /** Upper bound for every Redis command. Default 2000. */
  readonly commandTimeoutMs?: number;
}

/** A month's spending outlives the month by enough for late reads and retried charges. */
const BUDGET_TTL_SECONDS = 40 * 24 * 60 * 60;

function inlineScript(name: string, keys: number, lua: string): LuaScript {
  return { name, keys, lua, sha1: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: spent, charged. ARGV: idempotency key, micro-dollars, TTL (s). Reply: 1 counted, 0 seen. */
const BUDGET_CHARGE = inlineScript(
  'ai-budget-charge',
  2,
  `local added = redis.call('SADD', KEYS[2], ARGV[1])
if added == 1 then redis.call('INCRBY', KEYS[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return added`,
);

/** KEYS: samples. ARGV: sample JSON, window. Reply: the kept samples, newest first. */
const DRIFT_RECORD = inlineScript(
  'ai-drift-record',
  1,
  `redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
return redis.call('LRANGE', KEYS[1], 0, -1)`,
);

/** The prefix checked and the calls bounded, as every Redis store of the codebase does. */
class RedisCalls {
  readonly key: (parts: readonly string[], suffix: string) => string;
  readonly #client: RedisClient;
  readonly #timeoutMs: number;

  constructor(client: RedisClient, store: string, options: RedisAiStoreOptions) {
    const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    // Validates the prefix exactly as the session store does (no braces, no spaces).
    createRedisKeys(prefix);
    this.key = (parts, suffix) => `${prefix}:{${parts.map(encodeComponent).join(':')}}:${suffix}`;
    const timeout = options.commandTimeoutMs ?? 2000;
    if (!Number.isSafeInteger(timeout) || timeout < 1)
      throw new AitwsError(
        'CONFIG',
        `${store} option commandTimeoutMs must be a positive integer, got ${timeout}.`,
      );
    this.#client = client;
    this.#timeoutMs = timeout;
  }

  call<T>(send: (client: RedisClient) => Promise<T>): Promise<T> {
    return withTimeout(
      translateFailure(() => send(this.#client)),
      this.#timeoutMs,
    );
  }

  async script<T>(
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | number)[],
    reply: z.ZodType<T>,
  ): Promise<T> {
    const raw = await this.call((client) => runScript(client, script, keys, args));
    const parsed = reply.safeParse(raw);
    if (parsed.success) return parsed.data;
    throw new Error(`Unexpected reply from Redis script "${script.name}": ${parsed.error.message}`);
  }
}

export class RedisAiResponseCache implements AiResponseCache {
  readonly #redis: RedisCalls;

  constructor(client: RedisClient, options: RedisAiStoreOptions = {}) {
    this.#redis = new RedisCalls(client, 'RedisAiResponseCache', options);
  }

  async get(fingerprint: string): Promise<JsonObject | undefined> {
    const text = await this.#redis.call((client) => client.get(this.#key(fingerprint)));
    if (text === null) return undefined;
    try {
      return parseStored(jsonObjectSchema, text, 'the AI response cache');
    } catch {
      // An unreadable entry is only a miss: the step calls the model again and set() replaces it.
      return undefined;
    }
  }

  async set(fingerprint: string, value: JsonObject, ttlSeconds: number): Promise<void> {
    const ms = ttlMs(ttlSeconds);
    const text = JSON.stringify(value);
    await this.#redis.call((client) => client.set(this.#key(fingerprint), text, 'PX', ms));
  }

  #key(fingerprint: string): string {
    return this.#redis.key(['aicache', digest(fingerprint)], 'response');
  }
}

export interface RedisWorkspaceBudgetOptions extends RedisAiStoreOptions {
  /** USD per workspace per month, the same for all or looked up per workspace. */
  readonly limit: BudgetLimit;
  /** Milliseconds since the epoch; picks the month (UTC). Default Date.now. */
  readonly now?: () => number;
}

export class RedisWorkspaceBudget implements WorkspaceBudget {
  readonly #redis: RedisCalls;
  readonly #limit: BudgetLimit;
  readonly #now: () => number;

  constructor(client: RedisClient, options: RedisWorkspaceBudgetOptions) {
    this.#redis = new RedisCalls(client, 'RedisWorkspaceBudget', options);
    this.#limit = options.limit;
    this.#now = options.now ?? Date.now;
  }

  async remaining(workspace: string): Promise<number> {
    const { spent } = this.#keys(workspace);
    const text = await this.#redis.call((client) => client.get(spent));
    if (text !== null && !/^\d{1,15}$/.test(text))
      throw unreadableDataError(spent, 'the amount spent is not a whole number of micro-dollars');
    return remainingUsd(limitOf(this.#limit, workspace), text === null ? 0 : Number(text));
  }

  async charge(workspace: string, amount: number, idempotencyKey: string): Promise<void> {
    const micros = chargeMicros(amount);
    const { spent, charged } = this.#keys(workspace);
    const args = [idempotencyKey, micros, BUDGET_TTL_SECONDS];
    await this.#redis.script(BUDGET_CHARGE, [spent, charged], args, z.union([z.literal(0), z.literal(1)]));
  }

  #keys(workspace: string): { readonly spent: string; readonly charged: string } {
    const parts = ['aibudget', workspace, monthOf(this.#now())];
    return { spent: this.#redis.key(parts, 'spent'), charged: this.#redis.key(parts, 'charged') };
  }
}

export interface RedisDriftStoreOptions extends RedisAiStoreOptions {
  /** Samples kept per workflow and action, newest first. Default 50. */
  readonly window?: number;
}

export class RedisDriftStore implements DriftStore {
  readonly #redis: RedisCalls;
  readonly #window: number;

  constructor(client: RedisClient, options: RedisDriftStoreOptions = {}) {
    this.#redis = new RedisCalls(client, 'RedisDriftStore', options);
    this.#window = checkedWindow(options.window);
  }

  async record(scope: WorkflowScope, sample: DriftSample): Promise<DriftSummary> {
    const key = this.#key(scope, sample.action);
    const args = [JSON.stringify(checkedSample(sample)), this.#window];
    const kept = await this.#redis.script(DRIFT_RECORD, [key], args, z.array(z.string()));
    return summarise(decodeSamples(kept, key));
  }

  async summary(scope: WorkflowScope, action: string): Promise<DriftSummary> {
    const key = this.#key(scope, action);
    const kept = await this.#redis.call((client) => client.lrange(key, 0, this.#window - 1));
    return summarise(decodeSamples(kept, key));
  }

  #key(scope: WorkflowScope, action: string): string {
    return this.#redis.key(['aidrift', ...driftSeries(scope, action)], 'samples');
  }
}

function decodeSamples(texts: readonly string[], key: string): DriftSample[] {
  return texts.map((text) => parseStored(driftSampleSchema, text, key));
}
