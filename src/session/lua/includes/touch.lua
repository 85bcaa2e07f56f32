-- Refreshes the idle TTL of a session and its history together (KEYS[1], KEYS[2]).
local function touch(ttl)
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
end
