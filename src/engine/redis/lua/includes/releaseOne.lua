--[[
  releaseOne(metaKey, holdKey, deadlinesKey, unitsKey, reason): puts one hold's units back.
  Idempotent; refused once the hold is confirmed. reason: 'expired' | 'cancelled' |
  'payment_failed' | 'rejected'.

  Returns:
    { OK, hold pairs, changed (1 | 0) }
    { ERR_SALE_NOT_FOUND | ERR_HOLD_NOT_FOUND | ERR_HOLD_CONFIRMED }
]]
--- @include "codes"
--- @include "hold"

local function releaseOne(metaKey, holdKey, deadlinesKey, unitsKey, reason)
  if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
  local status = redis.call('HGET', holdKey, 'status')
  if not status then return { ERR_HOLD_NOT_FOUND } end
  if status == 'confirmed' then return { ERR_HOLD_CONFIRMED } end
  if status == 'released' then return { OK, holdPairs(holdKey), 0 } end
  releaseHold(holdKey, metaKey, deadlinesKey, unitsKey, reason)
  return { OK, holdPairs(holdKey), 1 }
end
