-- KEYS: record, steps, order, memos. ARGV: cutoffMs, finalStates (space separated).
-- Removes the run when it is final and was last updated before cutoffMs. Returns one of:
--   {'removed', channel}   gone, with its steps and memos; channel is the JSON stored at create
--   {'young', updatedMs}   final, but updated at or after the cutoff (the caller re-scores it)
--   {'active'}             not final
--   {'gone'}               no such run
local stored = redis.call('HMGET', KEYS[1], 'state', 'updated', 'channel')
if not stored[1] then return {'gone'} end
local final = false
for state in string.gmatch(ARGV[2], '%S+') do
  if state == stored[1] then final = true end
end
if not final then return {'active'} end
local updated = tonumber(stored[2])
if updated == nil or updated >= tonumber(ARGV[1]) then return {'young', stored[2] or ''} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return {'removed', stored[3] or ''}
