-- KEYS: record. ARGV: fixed (JSON), change (JSON), updatedMs, writeId, channel (JSON).
-- Returns 'ok', or 'exists' when a run with this id is stored.
--
-- The record is a hash: fixed (written once: the document snapshot, inputs…), change (the mutable
-- part, replaced whole by run-update), revision, state, updated (ms, for retention), channel and
-- wid. Both JSON parts are stored verbatim, never decoded here. `writeId` makes a create the
-- client resends after a reconnect report its first delivery's success, not a conflict with itself.
if redis.call('EXISTS', KEYS[1]) == 1 then
  local stored = redis.call('HMGET', KEYS[1], 'wid', 'revision')
  if stored[1] == ARGV[4] and stored[2] == '1' then return 'ok' end
  return 'exists'
end
redis.call('HSET', KEYS[1], 'fixed', ARGV[1], 'change', ARGV[2], 'revision', 1, 'state', 'queued',
  'updated', ARGV[3], 'wid', ARGV[4], 'channel', ARGV[5])
return 'ok'
