-- KEYS: saved, savedIndex. ARGV: name, document, summary. The full document and its summary are
-- kept apart so listing a library never transfers every document. No TTL: saves are deliberate.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
