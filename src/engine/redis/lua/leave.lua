--[[
  A user leaves (MemoryEngine.leave). A waiter's ticket goes into the departed set (admission passes
  over it without a slot, and it no longer counts as waiting) and the user's ticket becomes 0. An
  admitted user whose session is running gives their slot back at once and their place is spent
  (their status is `expired`; joining again takes a new ticket). Anything else changes nothing.

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket)
    KEYS[3] leases key (sorted set: admitted place -> lease deadline)
    KEYS[4] departed key (set of tickets that left the line and are not passed yet)
    KEYS[5] spent key (set of admitted places whose session ended early)
    KEYS[6] windows key
    ARGV[1] now (epoch ms)
    ARGV[2] userId

  Output:
    { OK, changed (1/0) }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "shuffle"
--- @include "slots"

local metaKey, ticketsKey, leasesKey, departedKey, spentKey, windowsKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local now = tonumber(ARGV[1])
local userId = ARGV[2]

local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
if saleState(m, now) == 'scheduled' then return { OK, 0 } end
freeze(metaKey, m, now)

local ticket = tonumber(redis.call('HGET', ticketsKey, userId) or '0')
if ticket == 0 then return { OK, 0 } end
local place = placeOf(ticket, m.prequeueSize, parseShuffleKeys(m.shuffleKeys))
if place == nil or place > m.serving then
  redis.call('SADD', departedKey, fmt(ticket))
  redis.call('HINCRBY', metaKey, 'departed', 1)
  redis.call('HSET', ticketsKey, userId, '0')
  return { OK, 1 }
end
local sessionMs = m.sessionSeconds * 1000
if redis.call('SISMEMBER', spentKey, fmt(place)) == 1 then return { OK, 0 } end
if liveWindowOf(windowsKey, place, sessionMs, now) == nil then return { OK, 0 } end
freePlace(leasesKey, windowsKey, place, sessionMs, now)
redis.call('SADD', spentKey, fmt(place))
return { OK, 1 }
