-- KEYS: record, memos. ARGV: key, expectedRevision, value (JSON object), writeId.
-- Returns 'ok', 'stale' (the stored revision is another), 'missing' (no such run) or 'unreadable'.
--
-- memos maps step key -> {"revision":N,"wid":ID,"value":VALUE}, built here so the value is
-- stored verbatim and the revision read back without decoding it. A resent write (same writeId)
-- reports its first delivery's success.
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
local revision = 0
local wid = nil
if stored then
  local found, storedWid = string.match(stored, '^{"revision":(%d+),"wid":"([^"]*)"')
  if not found then return 'unreadable' end
  revision = tonumber(found)
  wid = storedWid
end
local expected = tonumber(ARGV[2])
if revision ~= expected then
  if expected ~= nil and revision == expected + 1 and wid == ARGV[4] then return 'ok' end
  return 'stale'
end
redis.call('HSET', KEYS[2], ARGV[1], '{"revision":' .. string.format('%d', revision + 1) ..
  ',"wid":' .. cjson.encode(ARGV[4]) .. ',"value":' .. ARGV[3] .. '}')
return 'ok'
