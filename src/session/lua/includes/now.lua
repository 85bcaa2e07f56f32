-- The Redis clock, which every session script returns so the store can estimate it and fence
-- late writes (see `deadline` in write.lua).
local clock = redis.call('TIME')
