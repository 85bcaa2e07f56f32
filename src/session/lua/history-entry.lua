-- KEYS: session, history. ARGV: ttlSeconds, version.
-- History versions are contiguous and newest first, so version v sits at index current - v.
-- Returns {clockSeconds, clockMicros, entry|false}.
--- @include "includes/now"
--- @include "includes/touch"
local wanted = tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current == 0 then return {clock[1], clock[2], false} end
touch(ARGV[1])
if wanted < 1 or wanted > current then return {clock[1], clock[2], false} end
local entry = redis.call('LINDEX', KEYS[2], current - wanted)
return {clock[1], clock[2], entry}
