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
if ARGV[1] == 'drained' then
  -- A part's drained mark is the last character of its pool field (includes/meta.lua).
  local pool = redis.call('HGET', metaKey, 'pool')
  if pool then redis.call('HSET', metaKey, 'pool', string.sub(pool, 1, -2) .. ARGV[2]) end
else
  redis.call('HSET', metaKey, ARGV[1], ARGV[2])
end
return saleReply(metaKey, nil, 'none', nil, nil)
