--[[
  Puts a hold's units back. Idempotent; refused once the hold is confirmed.

  Input:
    KEYS[1] meta key
    KEYS[2] hold key
    KEYS[3] deadlines key
    KEYS[4] units key
    ARGV[1] reason: 'expired' | 'cancelled' | 'payment_failed' | 'rejected'

  Output:
    { OK, hold pairs, changed (1 | 0) }
    { ERR_SALE_NOT_FOUND | ERR_HOLD_NOT_FOUND | ERR_HOLD_CONFIRMED }
]]
--- @include "codes"
--- @include "hold"

local metaKey, holdKey, deadlinesKey, unitsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
local status = redis.call('HGET', holdKey, 'status')
if not status then return { ERR_HOLD_NOT_FOUND } end
if status == 'confirmed' then return { ERR_HOLD_CONFIRMED } end
if status == 'released' then return { OK, holdPairs(holdKey), 0 } end
releaseHold(holdKey, metaKey, deadlinesKey, unitsKey, ARGV[1])
return { OK, holdPairs(holdKey), 1 }
