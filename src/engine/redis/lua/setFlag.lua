--[[
  Sets an operator switch: pause, resume, end; or marks a part of a split sale drained (sold out).

  Input:
    KEYS[1] meta key
    ARGV[1] flag: 'paused' | 'ended' | 'drained'
    ARGV[2] value: '1' | '0'

  Output:
    { OK, meta pairs, {}, false }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "saleReply"

local metaKey = KEYS[1]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
redis.call('HSET', metaKey, ARGV[1], ARGV[2])
return saleReply(metaKey, nil, 'none', nil, nil)
