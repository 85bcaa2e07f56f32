-- KEYS: session, history. ARGV: ttlSeconds.
-- Returns {clockSeconds, clockMicros, version|false, entry|false}. Reading counts as use, so the
-- idle TTL is refreshed.
--- @include "includes/now"
--- @include "includes/touch"
local record = redis.call('HMGET', KEYS[1], 'version', 'entry')
if record[1] then touch(ARGV[1]) end
return {clock[1], clock[2], record[1], record[2]}
