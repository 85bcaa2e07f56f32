-- KEYS: record, steps, order. ARGV: key, state, startedAt, body, writeId.
-- `body` is the step input as a JSON object without attempt and startedAt, which this script
-- prepends (with the writeId) so the output is stored verbatim, never re-encoded.
-- Returns {'ok', stepJson}: the step as stored now; {'missing'} when the run is unknown;
-- {'unreadable'} when the stored step is not what this script writes.
--
-- steps maps key -> step JSON; order lists keys in the order first recorded (RPUSH: O(1)).
-- A succeeded or skipped step is final and is returned unchanged, as is one whose writeId
-- matches (this very record, resent by the client after a reconnect).
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local stored = redis.call('HGET', KEYS[2], ARGV[1])
local attempt = 1
local startedAt = ARGV[3]
if stored then
  local decoded, step = pcall(cjson.decode, stored)
  if not decoded or type(step) ~= 'table' or type(step.attempt) ~= 'number'
    or type(step.startedAt) ~= 'string' then
    return {'unreadable'}
  end
  if step.state == 'succeeded' or step.state == 'skipped' or step.wid == ARGV[5] then
    return {'ok', stored}
  end
  attempt = step.attempt
  if ARGV[2] == 'started' then attempt = attempt + 1 else startedAt = step.startedAt end
end
local json = '{"attempt":' .. string.format('%d', attempt) .. ',"startedAt":' .. cjson.encode(startedAt) ..
  ',"wid":' .. cjson.encode(ARGV[5]) .. ',' .. string.sub(ARGV[4], 2)
redis.call('HSET', KEYS[2], ARGV[1], json)
if not stored then redis.call('RPUSH', KEYS[3], ARGV[1]) end
return {'ok', json}
