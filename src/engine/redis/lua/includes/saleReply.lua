--[[
  The reply of scripts that answer with the sale: { OK, meta pairs, windows, ticket, spent }.
  windowsMode: 'none' ({}), 'all' (every stored window, for snapshots and stats) or 'status' (the
  few windows the status of `ticket` needs, see statusWindows). ticket: the user's ticket or false.
  spent: 1 when that ticket's place is in `spentKey` (its session ended early), else 0.
  TypeScript builds the view, snapshot and status from these alone, with the domain functions.
]]
--- @include "codes"
--- @include "meta"
--- @include "shuffle"
--- @include "windows"

-- The windows and the spent flag (1/0) a status of `ticket` needs (windowsMode 'status'), from the
-- sale `m` as readMeta() returns it.
local function statusParts(m, windowsKey, ticket, now, spentKey)
  local place = nil
  local spent = 0
  local t = tonumber(ticket or '0')
  if t > 0 then
    -- The size the snapshot will have (queueSnapshot in src/domain/waitingRoom.ts).
    local prequeueSize = prequeueSizeAt(m.prequeueSize, m.issued, m.startsAt, now)
    place = placeOf(t, prequeueSize, parseShuffleKeys(m.shuffleKeys))
    if place ~= nil and place <= m.serving and spentKey ~= nil then
      spent = redis.call('SISMEMBER', spentKey, fmt(place))
    end
  end
  return statusWindows(windowsKey, m.sessionSeconds * 1000, now, place), spent
end

local function saleReply(metaKey, windowsKey, windowsMode, ticket, now, spentKey)
  local windows = {}
  local spent = 0
  if windowsMode == 'all' then
    windows = allWindows(windowsKey)
  elseif windowsMode == 'status' then
    windows, spent = statusParts(readMeta(metaKey), windowsKey, ticket, now, spentKey)
  end
  return { OK, metaPairs(metaKey), windows, ticket or false, spent }
end
