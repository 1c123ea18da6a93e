--[[
  Creates a sale unless one has its id.

  Input:
    KEYS[1] meta key
    ARGV    field, value, field, value... (settings and zeroed counters, built in TypeScript)

  Output:
    { OK, meta pairs, {}, false }
    { ERR_SALE_EXISTS }
]]
--- @include "codes"
--- @include "saleReply"

local metaKey = KEYS[1]
if redis.call('EXISTS', metaKey) == 1 then return { ERR_SALE_EXISTS } end
redis.call('HSET', metaKey, unpack(ARGV))
return saleReply(metaKey, nil, 'none', nil, nil)
