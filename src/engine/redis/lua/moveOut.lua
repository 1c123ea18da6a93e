--[[
  The first step of moving available units from one part of a split sale to another
  (src/engine/parted): takes up to ARGV[3] available units off this part (its total shrinks with
  them) and records the move here until settleMove forgets it, so an interrupted move can be found
  and finished. A repeat with the same move id while it is recorded takes nothing more.

  Input:
    KEYS[1] meta key
    KEYS[2] moves key (hash moveId -> "<receiving sale id> <units>")
    ARGV[1] move id
    ARGV[2] receiving part's sale id
    ARGV[3] units wanted

  Output:
    { OK, units taken (0: none available) }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"

local metaKey, movesKey = KEYS[1], KEYS[2]
local moveId, toSaleId, wanted = ARGV[1], ARGV[2], tonumber(ARGV[3])
local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local recorded = redis.call('HGET', movesKey, moveId)
if recorded then return { OK, tonumber(string.match(recorded, ' (%d+)$')) } end
local taken = math.min(wanted, m.available)
if taken <= 0 then return { OK, 0 } end
redis.call('HINCRBY', metaKey, 'available', fmt(-taken))
redis.call('HINCRBY', metaKey, 'totalStock', fmt(-taken))
redis.call('HSET', movesKey, moveId, toSaleId .. ' ' .. fmt(taken))
return { OK, taken }
