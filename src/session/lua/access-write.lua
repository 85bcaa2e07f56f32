-- KEYS: access. ARGV: expectedRevision, state (JSON), writeId.
-- Returns {status, revision}: ok with the new revision, conflict with the stored one, or
-- unreadable (0) when the stored value is not the JSON this script writes.
--
-- The value is {"revision":N,"state":STATE,"wid":ID}, built here so the state is stored verbatim.
-- `writeId` makes a resent command (ioredis resends unanswered commands after a reconnect)
-- report the success of its first delivery instead of a conflict with itself.
local expected = tonumber(ARGV[1])
local current = 0
local wid = nil
local raw = redis.call('GET', KEYS[1])
if raw then
  local decoded, stored = pcall(cjson.decode, raw)
  if not decoded or type(stored) ~= 'table' or type(stored.revision) ~= 'number' then
    return {'unreadable', 0}
  end
  current = stored.revision
  wid = stored.wid
end
if current ~= expected then
  if current == expected + 1 and wid == ARGV[3] then return {'ok', current} end
  return {'conflict', current}
end
local revision = expected + 1
redis.call('SET', KEYS[1], '{"revision":' .. string.format('%d', revision) .. ',"state":' .. ARGV[2] ..
  ',"wid":' .. cjson.encode(ARGV[3]) .. '}')
return {'ok', revision}
