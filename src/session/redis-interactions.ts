/**
 * InteractionStore on Redis: pending button actions, one-time claims (event dedupe) and
 * fixed-window counters, shared by every bot process. Each operation touches one key, atomically.
 */
import { z } from 'zod';
import { StorageUnavailableError } from '../errors.js';
import type {
  DecideResult,
  Decision,
  InteractionStore,
  PeekResult,
  PendingAction,
} from './interaction-port.js';
import { channelId } from './port.js';
import { runScript, type ScriptClient, translateFailure, withTimeout } from './redis-call.js';
import { createRedisKeys, type RedisKeys } from './redis-keys.js';
import { type LuaScript, loadScript } from './redis-scripts.js';

const PUT_ACTION = loadScript('put-action', 1);
const DECIDE = loadScript('decide-action', 1);
const INCREMENT = loadScript('increment', 1);

const channelSchema = z.object({
  platform: z.enum(['console', 'slack', 'discord']),
  workspace: z.string(),
  channel: z.string(),
});
const actionSchema = z.object({
  id: z.string(),
  channel: channelSchema,
  commands: z.array(z.string()),
  summary: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  // Proposals applied as one change (the assistant) are 'batch'; absent means run in sequence.
  kind: z.enum(['sequence', 'batch']).optional(),
});
const decisionSchema = z.object({
  choice: z.enum(['confirm', 'cancel']),
  byId: z.string(),
  by: z.string(),
  at: z.string(),
});
const decideReply = z.union([
  z.tuple([z.literal('unknown')]),
  z.tuple([z.literal('decided'), z.string()]),
  z.tuple([z.literal('already'), z.string(), z.string()]),
]);

/** The commands this store sends besides scripts. */
export interface InteractionRedisClient extends ScriptClient {
  set(key: string, value: string, ex: 'EX', seconds: number, nx: 'NX'): Promise<'OK' | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

export interface RedisInteractionStoreOptions {
  readonly prefix?: string;
  readonly commandTimeoutMs?: number;
}

function decodeJson<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  const parsed = schema.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    throw new StorageUnavailableError(`A stored ${what} is unreadable; nothing was changed.`, parsed.error);
  }
  return parsed.data;
}

export class RedisInteractionStore implements InteractionStore {
  readonly #client: InteractionRedisClient;
  readonly #keys: RedisKeys;
  readonly #timeoutMs: number;

  constructor(client: InteractionRedisClient, options: RedisInteractionStoreOptions = {}) {
    this.#client = client;
    this.#keys = createRedisKeys(options.prefix);
    this.#timeoutMs = options.commandTimeoutMs ?? 2000;
  }

  async putAction(action: PendingAction, ttlSeconds: number): Promise<void> {
    await this.#script(PUT_ACTION, this.#keys.interactions.action(action.id), [
      JSON.stringify(action),
      channelId(action.channel),
      Math.max(1, Math.ceil(ttlSeconds)),
    ]);
  }

  async peekAction(id: string, channel: PendingAction['channel']): Promise<PeekResult> {
    const key = this.#keys.interactions.action(id);
    const [action, owner, decision] = await withTimeout(
      translateFailure(() => this.#client.hmget(key, 'action', 'channel', 'decision')),
      this.#timeoutMs,
    );
    if (action == null || owner !== channelId(channel)) return { status: 'unknown' };
    const stored = decodeJson(actionSchema, action, 'button action');
    if (decision == null) return { status: 'open', action: stored };
    return {
      status: 'already',
      action: stored,
      decision: decodeJson(decisionSchema, decision, 'button decision'),
    };
  }

  async decideAction(
    id: string,
    channel: PendingAction['channel'],
    decision: Decision,
  ): Promise<DecideResult> {
    const raw = await this.#script(DECIDE, this.#keys.interactions.action(id), [
      channelId(channel),
      JSON.stringify(decision),
    ]);
    const reply = decideReply.parse(raw);
    if (reply[0] === 'unknown') return { status: 'unknown' };
    const action = decodeJson(actionSchema, reply[1], 'button action');
    if (reply[0] === 'decided') return { status: 'decided', action };
    return { status: 'already', action, decision: decodeJson(decisionSchema, reply[2], 'button decision') };
  }

  async claimOnce(scope: string, id: string, ttlSeconds: number): Promise<boolean> {
    const key = this.#keys.interactions.claim(scope, id);
    const seconds = Math.max(1, Math.ceil(ttlSeconds));
    const reply = await withTimeout(
      translateFailure(() => this.#client.set(key, '1', 'EX', seconds, 'NX')),
      this.#timeoutMs,
    );
    return reply === 'OK';
  }

  async increment(scope: string, id: string, amount: number, ttlSeconds: number): Promise<number> {
    const raw = await this.#script(INCREMENT, this.#keys.interactions.counter(scope, id), [
      Math.trunc(amount),
      Math.max(1, Math.ceil(ttlSeconds)),
    ]);
    return z.number().int().parse(raw);
  }

  /** The client belongs to whoever built it (the session store closes the shared one). */
  async close(): Promise<void> {}

  #script(lua: LuaScript, key: string, args: readonly (string | number)[]): Promise<unknown> {
    return withTimeout(
      translateFailure(() => runScript(this.#client, lua, [key], args)),
      this.#timeoutMs,
    );
  }
}
