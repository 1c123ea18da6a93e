--[[
  A hold `{sale:<id>}:hold:<holdId>`: id, userId, quantity, expiresAt, status (held | confirmed |
  released), reason (once released) and member, its entry in the deadlines sorted set.
]]
--- @include "codes"
local HOLD_FIELDS = { 'id', 'userId', 'quantity', 'expiresAt', 'status', 'reason' }

-- The hold as a flat field, value... list (false for absent), decoded in TypeScript.
local function holdPairs(holdKey)
  return fieldPairs(holdKey, HOLD_FIELDS)
end

-- Ends a held hold: its units go back on sale and back under the user's limit (endHold in the
-- memory engine). The caller has checked that the hold is held.
local function releaseHold(holdKey, metaKey, deadlinesKey, unitsKey, reason)
  local h = redis.call('HMGET', holdKey, 'userId', 'quantity', 'member')
  local quantity = tonumber(h[2])
  redis.call('HSET', holdKey, 'status', 'released', 'reason', reason)
  redis.call('ZREM', deadlinesKey, h[3])
  redis.call('HINCRBY', metaKey, 'held', fmt(-quantity))
  redis.call('HINCRBY', metaKey, 'available', fmt(quantity))
  redis.call('HINCRBY', unitsKey, h[1], fmt(-quantity))
end
