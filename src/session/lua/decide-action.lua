-- KEYS: action. ARGV: channel id, decision (JSON).
-- Returns {'unknown'} | {'decided', action} | {'already', action, earlier decision}.
-- First decision wins; a click from another channel neither decides nor learns anything.
local action = redis.call('HGET', KEYS[1], 'action')
if not action or redis.call('HGET', KEYS[1], 'channel') ~= ARGV[1] then return {'unknown'} end
local earlier = redis.call('HGET', KEYS[1], 'decision')
if earlier then return {'already', action, earlier} end
redis.call('HSET', KEYS[1], 'decision', ARGV[2])
return {'decided', action}
