-- KEYS: session, history. ARGV: ttlSeconds, count (-1 = all retained).
-- Returns {clockSeconds, clockMicros, entry...} newest first.
--- @include "includes/now"
--- @include "includes/touch"
local count = tonumber(ARGV[2])
local entries = redis.call('LRANGE', KEYS[2], 0, count < 0 and -1 or count - 1)
if #entries > 0 then touch(ARGV[1]) end
local out = {clock[1], clock[2]}
for i = 1, #entries do out[#out + 1] = entries[i] end
return out
