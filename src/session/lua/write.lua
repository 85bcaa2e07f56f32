-- KEYS: session, history. ARGV: expectedVersion, entry, writeId, historyLimit, ttlSeconds,
-- deadlineMs (Redis clock, 0 = none).
-- Returns {status, version, clockSeconds, clockMicros}; status is ok | conflict | late.
--
-- `late`: the caller has already given up on this call (its timeout passed), so applying it now
-- would contradict the "nothing was changed" it reported. This happens when Redis was paused or
-- the command sat in a queue across a reconnect.
-- `writeId` makes a resent command (ioredis resends unanswered commands after a reconnect)
-- report the success of its first delivery instead of a conflict with itself.
--- @include "includes/now"
--- @include "includes/touch"
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
return {'ok', version, clock[1], clock[2]}
