--[[
  The reply of scripts that answer with the sale: { OK, meta pairs, windows, ticket }.
  windowsMode: 'none' ({}), 'all' (every stored window, for snapshots and stats) or 'status' (the
  few windows the status of `ticket` needs, see statusWindows). ticket: the user's ticket or false.
  TypeScript builds the view, snapshot and status from these alone, with the domain functions.
]]
--- @include "codes"
--- @include "meta"
--- @include "shuffle"
--- @include "windows"
local function saleReply(metaKey, windowsKey, windowsMode, ticket, now)
  local windows = {}
  if windowsMode == 'all' then
    windows = allWindows(windowsKey)
  elseif windowsMode == 'status' then
    local m = readMeta(metaKey)
    local place = nil
    local t = tonumber(ticket or '0')
    if t > 0 then
      -- As the snapshot has it: past the start but not frozen yet, the pre-queue is what was issued.
      local prequeueSize = m.prequeueSize
      if prequeueSize == nil and now >= m.startsAt then prequeueSize = m.issued end
      place = placeOf(t, prequeueSize, parseShuffleKeys(m.shuffleKeys))
    end
    windows = statusWindows(windowsKey, m.sessionSeconds * 1000, now, place)
  end
  return { OK, metaPairs(metaKey), windows, ticket or false }
end
