/**
 * How every Redis-backed store talks to Redis: scripts by EVALSHA (reloaded after a restart),
 * client failures and "not now" replies turned into StorageUnavailableError, and every call
 * bounded in time so a paused or unreachable server fails fast instead of hanging a command.
 */
import { ReplyError } from 'ioredis';
import { StorageUnavailableError } from '../errors.js';
import { within } from '../timing.js';
import type { LuaScript } from './redis-scripts.js';

/** Redis error codes (the first word of an error reply) that mean "not now", not "bug". */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'OOM',
  'NOAUTH',
  'WRONGPASS',
]);

/** The subset of an ioredis client (standalone or Cluster) that script-based stores use. */
export interface ScriptClient {
  evalsha(sha1: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>;
}

/** The error code of a Redis error reply: by protocol, the first word of its message. */
function replyCode(error: unknown): string | undefined {
  const replyErrorClass: new (...args: never[]) => Error = ReplyError;
  if (!(error instanceof replyErrorClass)) return undefined;
  return error.message.split(' ', 1)[0];
}

export async function runScript(
  client: ScriptClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha1, script.keys, ...keys, ...args);
  } catch (error) {
    // A restarted or failed-over Redis has an empty script cache; EVAL loads it again.
    if (replyCode(error) !== 'NOSCRIPT') throw error;
    return client.eval(script.lua, script.keys, ...keys, ...args);
  }
}

/** Translates what the client throws into the domain's error; anything else is a bug and passes. */
export async function translateFailure<T>(send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const code = replyCode(error);
    if (code === undefined || UNAVAILABLE_CODES.has(code))
      throw new StorageUnavailableError(undefined, error);
    throw error;
  }
}

const TIMED_OUT = Symbol('timed out');

export async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  const result = await within(work, timeoutMs, TIMED_OUT);
  if (result === TIMED_OUT) throw new StorageUnavailableError();
  return result;
}
