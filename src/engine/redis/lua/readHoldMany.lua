--[[
  Reads holds of one sale (read-only), in one call: the order workers' hold reads batched per sale.
  A lone read is a batch of one.

  Input:
    KEYS[1] meta key
    KEYS[1+i] hold key of request i

  Output:
    { OK, reply 1, reply 2, ... } -- reply i: { OK, hold pairs }, { OK, false } when no hold has
                                  -- that id, or { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "hold"

local saleExists = redis.call('EXISTS', KEYS[1]) == 1
local out = { OK }
for i = 2, #KEYS do
  if not saleExists then
    out[#out + 1] = { ERR_SALE_NOT_FOUND }
  elseif redis.call('EXISTS', KEYS[i]) == 0 then
    out[#out + 1] = { OK, false }
  else
    out[#out + 1] = { OK, holdPairs(KEYS[i]) }
  end
end
return out
