-- KEYS: record. ARGV: expectedRevision, state, change (JSON), updatedMs, writeId, allowedFrom
-- (the states that may move to `state`, space separated).
-- Returns one of:
--   {'ok', revision}                         applied (or this very update, resent after a reconnect)
--   {'stale', revision, fixed, change}       the stored revision is another: nothing changed
--   {'missing'}                              no such run
--   {'refused', storedState}                 revision matched but the transition is not allowed
local stored = redis.call('HMGET', KEYS[1], 'revision', 'state', 'wid')
if not stored[1] then return {'missing'} end
local revision = tonumber(stored[1])
local expected = tonumber(ARGV[1])
if revision ~= expected then
  if expected ~= nil and revision == expected + 1 and stored[3] == ARGV[5] then return {'ok', revision} end
  -- Only a loser pays for reading the document: the caller gets the current record in one trip.
  local parts = redis.call('HMGET', KEYS[1], 'fixed', 'change')
  return {'stale', revision, parts[1], parts[2]}
end
local allowed = false
for from in string.gmatch(ARGV[6], '%S+') do
  if from == stored[2] then allowed = true end
end
if not allowed then return {'refused', stored[2]} end
redis.call('HSET', KEYS[1], 'revision', revision + 1, 'state', ARGV[2], 'change', ARGV[3],
  'updated', ARGV[4], 'wid', ARGV[5])
return {'ok', revision + 1}
