-- KEYS: action. ARGV: action (JSON), channel id, ttlSeconds. A pending button action.
redis.call('HSET', KEYS[1], 'action', ARGV[1], 'channel', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
