-- KEYS: counter. ARGV: amount, windowSeconds. A fixed-window counter: the window starts with the
-- first increment and is not extended by later ones. Returns the new total.
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return total
