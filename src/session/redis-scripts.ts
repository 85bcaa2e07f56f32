/**
 * The Lua scripts behind RedisSessionStore. Each store call is exactly one script, so a session is
 * never half-written and every touched key shares one hash tag (see redis-keys.ts) for Cluster.
 *
 * Every script starts by reading the server clock and returns it, so the store can keep an
 * estimate of the Redis clock and fence late writes (see `deadline` in WRITE).
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly name: string;
  readonly lua: string;
  readonly sha1: string;
  readonly keys: number;
}

/** Scripts are sent by SHA1 (EVALSHA), so each carries its hash. */
export function script(name: string, keys: number, lua: string): LuaScript {
  return { name, lua, keys, sha1: createHash('sha1').update(lua).digest('hex') };
}

const NOW = `local clock = redis.call('TIME')`;

const TOUCH = `
local function touch(ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end`;

/**
 * KEYS: session, history. ARGV: expectedVersion, entry, writeId, historyLimit, ttlSeconds,
 * deadlineMs (Redis clock, 0 = none).
 * Returns {status, version, clockSeconds, clockMicros}; status is ok | conflict | late.
 *
 * `late`: the caller has already given up on this call (its timeout passed), so applying it now
 * would contradict the "nothing was changed" it reported. This happens when Redis was paused or
 * the command sat in a queue across a reconnect.
 * `writeId` makes a resent command (ioredis resends unanswered commands after a reconnect)
 * report the success of its first delivery instead of a conflict with itself.
 */
export const WRITE = script(
  'write',
  2,
  `${NOW}
${TOUCH}
local deadline = tonumber(ARGV[6])
if deadline > 0 and tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) > deadline then
  return {'late', 0, clock[1], clock[2]}
end
local expected = tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= expected then
  if current == expected + 1 and redis.call('HGET', KEYS[1], 'wid') == ARGV[3] then
    return {'ok', current, clock[1], clock[2]}
  end
  return {'conflict', current, clock[1], clock[2]}
end
local version = expected + 1
redis.call('HSET', KEYS[1], 'version', version, 'entry', ARGV[2], 'wid', ARGV[3])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
touch(ARGV[5])
return {'ok', version, clock[1], clock[2]}`,
);

/**
 * KEYS: session, history. ARGV: ttlSeconds.
 * Returns {clockSeconds, clockMicros, version|false, entry|false}. Reading counts as use, so the
 * idle TTL is refreshed.
 */
export const READ = script(
  'read',
  2,
  `${NOW}
${TOUCH}
local record = redis.call('HMGET', KEYS[1], 'version', 'entry')
if record[1] then touch(ARGV[1]) end
return {clock[1], clock[2], record[1], record[2]}`,
);

/**
 * KEYS: session, history. ARGV: ttlSeconds, count (-1 = all retained).
 * Returns {clockSeconds, clockMicros, entry...} newest first.
 */
export const HISTORY = script(
  'history',
  2,
  `${NOW}
${TOUCH}
local count = tonumber(ARGV[2])
local entries = redis.call('LRANGE', KEYS[2], 0, count < 0 and -1 or count - 1)
if #entries > 0 then touch(ARGV[1]) end
local out = {clock[1], clock[2]}
for i = 1, #entries do out[#out + 1] = entries[i] end
return out`,
);

/**
 * KEYS: session, history. ARGV: ttlSeconds, version.
 * History versions are contiguous and newest first, so version v sits at index current - v.
 * Returns {clockSeconds, clockMicros, entry|false}.
 */
export const HISTORY_ENTRY = script(
  'history-entry',
  2,
  `${NOW}
${TOUCH}
local wanted = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current == 0 then return {clock[1], clock[2], false} end
touch(ARGV[1])
if wanted < 1 or wanted > current then return {clock[1], clock[2], false} end
local entry = redis.call('LINDEX', KEYS[2], current - wanted)
return {clock[1], clock[2], entry}`,
);

/**
 * KEYS: saved, savedIndex. ARGV: name, document, summary. The full document and its summary are
 * kept apart so listing a library never transfers every document. No TTL: saves are deliberate.
 */
export const SAVE_NAMED = script(
  'save-named',
  2,
  `redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`,
);
