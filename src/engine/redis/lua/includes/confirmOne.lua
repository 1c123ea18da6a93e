--[[
  confirmOne(metaKey, holdKey, deadlinesKey, unitsKey, now): sells one hold's units. Idempotent: a
  confirmed hold answers again with changed = 0. Past the deadline the hold is released (reason
  'expired') and the refusal is returned; the release stays.

  Returns:
    { OK, hold pairs, changed (1 | 0), units still available or held }
    { ERR_SALE_NOT_FOUND | ERR_HOLD_NOT_FOUND | ERR_HOLD_EXPIRED | ERR_HOLD_RELEASED }
]]
--- @include "codes"
--- @include "meta"
--- @include "hold"

local function confirmOne(metaKey, holdKey, deadlinesKey, unitsKey, now)
  if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
  local h = redis.call('HMGET', holdKey, 'status', 'reason', 'expiresAt', 'quantity', 'member')
  local status = h[1]
  if not status then return { ERR_HOLD_NOT_FOUND } end
  if status == 'confirmed' then return { OK, holdPairs(holdKey), 0, stockLeft(metaKey) } end
  if status == 'released' then
    if h[2] == 'expired' then return { ERR_HOLD_EXPIRED } end
    return { ERR_HOLD_RELEASED }
  end
  if now >= tonumber(h[3]) then
    releaseHold(holdKey, metaKey, deadlinesKey, unitsKey, 'expired')
    return { ERR_HOLD_EXPIRED }
  end
  redis.call('HSET', holdKey, 'status', 'confirmed')
  redis.call('ZREM', deadlinesKey, h[5])
  redis.call('HINCRBY', metaKey, 'held', fmt(-tonumber(h[4])))
  redis.call('HINCRBY', metaKey, 'sold', h[4])
  return { OK, holdPairs(holdKey), 1, stockLeft(metaKey) }
end
