-- KEYS: saved, savedIndex. ARGV: name.
-- Returns the deleted entry's summary (JSON {at, by}), or false when there was none. One script,
-- so the document and its summary never outlive each other.
local summary = redis.call('HGET', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return summary
