-- KEYS: saved, savedIndex. ARGV: name, document, summary, maxEntries, maxBytes.
-- Returns {status, entries, bytes}: status is ok, or the cap the save would pass (entries | bytes),
-- in which case nothing was written. The full document and its summary are kept apart so listing
-- a library never transfers every document. No TTL: saves are deliberate.
--
-- The caps are checked in the script that writes, so saves from many processes at once cannot
-- pass them together. The same rule as libraryVerdict (src/session/names.ts): a replaced name
-- gives its bytes back and adds no entry, and a save that does not grow the library is allowed.
-- A library's bytes are the sum of its documents' lengths (HSTRLEN is O(1)); a capped library has
-- few names, and summing them each time cannot drift the way a separate counter could.
local name, document = ARGV[1], ARGV[2]
local maxEntries, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5])
local entries = redis.call('HLEN', KEYS[1])
local replaced = 0
local isNew = redis.call('HEXISTS', KEYS[1], name) == 0
if isNew then
  if entries + 1 > maxEntries then return {'entries', entries, 0} end
else
  replaced = redis.call('HSTRLEN', KEYS[1], name)
end
local bytes = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  bytes = bytes + redis.call('HSTRLEN', KEYS[1], field)
end
local after = bytes - replaced + string.len(document)
if after > maxBytes and after > bytes then return {'bytes', entries, bytes} end
redis.call('HSET', KEYS[1], name, document)
redis.call('HSET', KEYS[2], name, ARGV[3])
return {'ok', entries, after}
