--[[
  Admitted places and their slots (the memory engine's liveWindowOf, freePlace and sessionOver).
  `{sale:<id>}:leases` is a sorted set of the admitted places still holding a slot, scored by when
  their lease runs out (a heartbeat pushes it back); `{sale:<id>}:spent` is the set of admitted
  places whose session ended early (left, or lapsed). Both hold places, which are never reused.
]]
--- @include "codes"
--- @include "shuffle"
--- @include "windows"

-- The live window holding an admitted place, and its index; nil once its session is over.
local function liveWindowOf(windowsKey, place, sessionMs, now)
  local w, i = findWindow(windowsKey, place)
  if w == nil or w.at + sessionMs <= now then return nil, nil end
  return w, i
end

-- A place's slot goes back to the room, once: its lease goes, and its live window counts it freed.
local function freePlace(leasesKey, windowsKey, place, sessionMs, now)
  if redis.call('ZREM', leasesKey, fmt(place)) == 0 then return false end
  local w, i = liveWindowOf(windowsKey, place, sessionMs, now)
  if w == nil then return false end
  w.freed = w.freed + 1
  putWindow(windowsKey, i, w)
  redis.call('HINCRBY', windowsKey, 'active', -1)
  return true
end

-- Whether an admitted ticket's session is over: expired, or ended early (left, lapsed).
local function sessionOver(m, spentKey, windowsKey, ticket, now)
  local place = placeOf(ticket, m.prequeueSize, parseShuffleKeys(m.shuffleKeys))
  if place == nil or place > m.serving then return false end
  if redis.call('SISMEMBER', spentKey, fmt(place)) == 1 then return true end
  return liveWindowOf(windowsKey, place, m.sessionSeconds * 1000, now) == nil
end
