/**
 * FeedbackStore on Redis (standalone, Sentinel or Cluster).
 *
 *   <prefix>:{feedback:<hash>}:ratings   hash: rating id -> the rating as JSON (with its scope)
 *   <prefix>:{feedback:<hash>}:by-time   sorted set: rating id by its time (ms)
 *   <prefix>:{feedback}:scopes           set: JSON [channel, workflow] of every scope with ratings
 *
 * `<hash>` is a digest of [channel, workflow], so one scope's two keys share a hash tag and one
 * script writes both (a rating is never in one without the other), whatever the names hold. A
 * rating id is JSON [run, action, person id]: writing the same id again replaces the rating and
 * moves it to its new time. all() cannot SCAN (one node of a Cluster each), so add() first puts
 * the scope in the index set; a scope whose write then failed merely lists nothing.
 *
 * The scripts are a few lines each and only this store runs them, so they live here rather than
 * in src/session/lua.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AitwsError } from '../../errors.js';
import { parseStored } from '../../session/codec.js';
import { runScript, type ScriptClient, translateFailure, withTimeout } from '../../session/redis-call.js';
import { createRedisKeys } from '../../session/redis-keys.js';
import type { LuaScript } from '../../session/redis-scripts.js';
import {
  checkEntry,
  checkLimit,
  decodeStored,
  ratingId,
  ratingTime,
  type ScopedEntry,
  scopedEntry,
  unscoped,
} from './feedback-store.js';
import type { FeedbackEntry, FeedbackStore, WorkflowScope } from './stores.js';

function script(name: string, keys: number, lua: string): LuaScript {
  return { name, lua, keys, sha1: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: ratings, by-time. ARGV: rating id, rating JSON, time (ms). */
const ADD = script(
  'feedback-add',
  2,
  `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`,
);

/**
 * KEYS: ratings, by-time. ARGV: action ('' with ARGV[2] = '0' for any), filter ('1' | '0'), limit.
 * Reply: rating JSON strings, newest first (equal times: descending id, as ZREVRANGE orders them).
 * Filtering here keeps a listing of one action to one round trip however many others there are.
 */
const LIST = script(
  'feedback-list',
  2,
  `local filter = ARGV[2] == '1'
local limit = tonumber(ARGV[3])
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZREVRANGE', KEYS[2], start, start + 199)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    if not filter or cjson.decode(id)[2] == ARGV[1] then
      local value = redis.call('HGET', KEYS[1], id)
      if value then
        out[#out + 1] = value
        if #out >= limit then break end
      end
    end
  end
  start = start + 200
end
return out`,
);

/** The commands this store sends besides scripts; ioredis' Redis and Cluster both satisfy it. */
export interface FeedbackRedisClient extends ScriptClient {
  sadd(key: string, member: string): Promise<number>;
  smembers(key: string): Promise<string[]>;
  zrange(key: string, start: number, stop: number): Promise<string[]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

export interface RedisFeedbackStoreOptions {
  /** Key prefix, shared with the other stores. Default `aitws`. */
  readonly prefix?: string;
  /** Upper bound for every Redis command. Default 2000. */
  readonly commandTimeoutMs?: number;
}

const EXPORT_PAGE = 500;
const listReply = z.array(z.string());
const scopeMember = z.tuple([z.string(), z.string()]);

export class RedisFeedbackStore implements FeedbackStore {
  readonly #client: FeedbackRedisClient;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(client: FeedbackRedisClient, options: RedisFeedbackStoreOptions = {}) {
    this.#client = client;
    // Validates the prefix exactly as the session store does (no braces, no spaces).
    this.#prefix = createRedisKeys(options.prefix).prefix;
    const timeout = options.commandTimeoutMs ?? 2000;
    if (!Number.isSafeInteger(timeout) || timeout < 1)
      throw new AitwsError(
        'CONFIG',
        `RedisFeedbackStore option commandTimeoutMs must be a positive integer, got ${timeout}.`,
      );
    this.#timeoutMs = timeout;
  }

  async add(scope: WorkflowScope, entry: FeedbackEntry): Promise<void> {
    checkEntry(scope, entry);
    const keys = this.#keys(scope);
    await this.#call(() => this.#client.sadd(this.#index(), JSON.stringify([scope.channel, scope.workflow])));
    const value = JSON.stringify(scopedEntry(scope, entry));
    await this.#call(() =>
      runScript(this.#client, ADD, [keys.ratings, keys.byTime], [ratingId(entry), value, ratingTime(entry)]),
    );
  }

  async list(
    scope: WorkflowScope,
    options: { readonly action?: string; readonly limit: number },
  ): Promise<FeedbackEntry[]> {
    checkLimit(options.limit);
    if (options.limit === 0) return [];
    const keys = this.#keys(scope);
    const filter = options.action === undefined ? ['', '0'] : [options.action, '1'];
    const raw = await this.#call(() =>
      runScript(this.#client, LIST, [keys.ratings, keys.byTime], [...filter, options.limit]),
    );
    return listReply.parse(raw).map((value) => unscoped(this.#decode(value, keys.ratings)));
  }

  async *all(): AsyncIterable<ScopedEntry> {
    const index = this.#index();
    const members = (await this.#call(() => this.#client.smembers(index))).sort();
    for (const member of members) {
      const [channel, workflow] = parseStored(scopeMember, member, index);
      yield* this.#scopeEntries({ channel, workflow });
    }
  }

  /** One scope's ratings, oldest first, a page at a time. */
  async *#scopeEntries(scope: WorkflowScope): AsyncIterable<ScopedEntry> {
    const keys = this.#keys(scope);
    for (let start = 0; ; start += EXPORT_PAGE) {
      const ids = await this.#call(() => this.#client.zrange(keys.byTime, start, start + EXPORT_PAGE - 1));
      if (ids.length === 0) return;
      const values = await this.#call(() => this.#client.hmget(keys.ratings, ...ids));
      for (const value of values) if (value !== null) yield this.#decode(value, keys.ratings);
      if (ids.length < EXPORT_PAGE) return;
    }
  }

  #keys(scope: WorkflowScope): { readonly ratings: string; readonly byTime: string } {
    const digest = createHash('sha256')
      .update(JSON.stringify([scope.channel, scope.workflow]))
      .digest('hex')
      .slice(0, 32);
    return {
      ratings: `${this.#prefix}:{feedback:${digest}}:ratings`,
      byTime: `${this.#prefix}:{feedback:${digest}}:by-time`,
    };
  }

  #index(): string {
    return `${this.#prefix}:{feedback}:scopes`;
  }

  #decode(value: string, key: string): ScopedEntry {
    return decodeStored(value, key);
  }

  #call<T>(send: () => Promise<T>): Promise<T> {
    return withTimeout(
      translateFailure(() => send()),
      this.#timeoutMs,
    );
  }
}
