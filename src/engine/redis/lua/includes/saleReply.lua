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
local function saleReply(metaKey, windowsKey, windowsMode, ticket, now, spentKey)
  local windows = {}
  local spent = 0
  if windowsMode == 'all' then
    windows = allWindows(windowsKey)
  elseif windowsMode == 'status' then
    local m = readMeta(metaKey)
    local place = nil
    local t = tonumber(ticket or '0')
    if t > 0 then
      -- The size the snapshot will have (queueSnapshot in src/domain/waitingRoom.ts).
      local prequeueSize = prequeueSizeAt(m.prequeueSize, m.issued, m.startsAt, now)
      place = placeOf(t, prequeueSize, parseShuffleKeys(m.shuffleKeys))
      if place ~= nil and place <= m.serving and spentKey ~= nil then
        spent = redis.call('SISMEMBER', spentKey, fmt(place))
      end
    end
    windows = statusWindows(windowsKey, m.sessionSeconds * 1000, now, place)
  end
  return { OK, metaPairs(metaKey), windows, ticket or false, spent }
end
