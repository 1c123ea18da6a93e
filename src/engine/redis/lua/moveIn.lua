--[[
  The second step of a move between parts of a split sale (see moveOut.lua): adds the move's units
  to this part, available at once, once per move id (the ids applied are kept for as long as the
  sale), so finishing an interrupted move again never adds its units twice.

  Input:
    KEYS[1] meta key
    KEYS[2] moved-in key (set of move ids applied here)
    ARGV[1] move id
    ARGV[2] units

  Output:
    { OK, 1 }  -- added now
    { OK, 0 }  -- added before
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"

local metaKey, movedInKey = KEYS[1], KEYS[2]
local moveId, units = ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
if redis.call('SADD', movedInKey, moveId) == 0 then return { OK, 0 } end
redis.call('HINCRBY', metaKey, 'available', fmt(units))
redis.call('HINCRBY', metaKey, 'totalStock', fmt(units))
return { OK, 1 }
