--[[
  Reads a hold (read-only).

  Input:
    KEYS[1] meta key
    KEYS[2] hold key

  Output:
    { OK, hold pairs }  -- or { OK, false } when no hold has this id
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "hold"

if redis.call('EXISTS', KEYS[1]) == 0 then return { ERR_SALE_NOT_FOUND } end
if redis.call('EXISTS', KEYS[2]) == 0 then return { OK, false } end
return { OK, holdPairs(KEYS[2]) }
