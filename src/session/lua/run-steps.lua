-- KEYS: steps, order. No ARGV. Returns the journal: each step's JSON in the order its key was
-- first recorded, in one round trip.
local keys = redis.call('LRANGE', KEYS[2], 0, -1)
local steps = {}
-- unpack() is bounded by the Lua stack, so HMGET goes a thousand fields at a time.
for first = 1, #keys, 1000 do
  local values = redis.call('HMGET', KEYS[1], unpack(keys, first, math.min(first + 999, #keys)))
  for index = 1, #values do steps[#steps + 1] = values[index] end
end
return steps
