--[[
  Adds units users already bought (confirmed in PostgreSQL) to their per-user counts, after the store
  lost them (restoreUnits in the memory engine). Called once, by whoever loaded the sale.

  Input:
    KEYS[1] meta key
    KEYS[2] units key (hash userId -> units held or sold)
    ARGV    userId, units, userId, units...

  Output:
    { OK }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"

local metaKey, unitsKey = KEYS[1], KEYS[2]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
for i = 1, #ARGV, 2 do
  redis.call('HINCRBY', unitsKey, ARGV[i], fmt(tonumber(ARGV[i + 1])))
end
return { OK }
