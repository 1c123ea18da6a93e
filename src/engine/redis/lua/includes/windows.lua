--[[
  Admission windows `{sale:<id>}:windows`: a hash used as an array. Fields 'head' and 'tail' bound
  the stored windows [head, tail), oldest first; field '<i>' is window i as
  "at:fromPlace:toPlace:count:freed"; 'active' is the sum of count - freed over the stored windows.
  Windows are ordered by place (each starts where the previous ended), so a place is found by binary
  search. They grow with time, not users: steps less than WINDOW_MERGE_MS apart share one, so about
  sessionSeconds windows are live at most, and admit drops expired ones from the head.
]]
--- @include "codes"
local WINDOW_MERGE_MS = 1000

local function decodeWindow(text)
  local at, fromPlace, toPlace, count, freed = string.match(text, '^(-?%d+):(%d+):(%d+):(%d+):(%d+)$')
  return {
    at = tonumber(at),
    fromPlace = tonumber(fromPlace),
    toPlace = tonumber(toPlace),
    count = tonumber(count),
    freed = tonumber(freed),
  }
end

local function encodeWindow(w)
  return fmt(w.at) .. ':' .. fmt(w.fromPlace) .. ':' .. fmt(w.toPlace) .. ':' .. fmt(w.count) .. ':' .. fmt(w.freed)
end

-- head, tail, active (all 0 before the first admission).
local function windowBounds(windowsKey)
  local v = redis.call('HMGET', windowsKey, 'head', 'tail', 'active')
  return tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or 0
end

local function getWindow(windowsKey, i)
  return decodeWindow(redis.call('HGET', windowsKey, fmt(i)))
end

local function putWindow(windowsKey, i, w)
  redis.call('HSET', windowsKey, fmt(i), encodeWindow(w))
end

-- The window among indexes [lo, hi] holding `place`, and its index, by binary search (windows are
-- ordered by place: findWindow in domain/queue.ts).
local function searchWindow(windowsKey, lo, hi, place)
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local w = getWindow(windowsKey, mid)
    if place < w.fromPlace then
      hi = mid - 1
    elseif place > w.toPlace then
      lo = mid + 1
    else
      return w, mid
    end
  end
  return nil, nil
end

local function findWindow(windowsKey, place)
  local head, tail = windowBounds(windowsKey)
  return searchWindow(windowsKey, head, tail - 1, place)
end

-- Index of the first live window (sessions still running) in [head, tail), or tail if none: windows
-- open in time order, so by binary search.
local function firstLiveIndex(windowsKey, head, tail, sessionMs, now)
  local lo, hi = head, tail
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if getWindow(windowsKey, mid).at + sessionMs > now then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- The live windows one user's status needs, in O(log windows): the first, the one holding `place`
-- (nil: none) and the last, with a filler window spanning the places between two of them. A status
-- reads only the first window's `at`, the sum of counts (windows are contiguous in place and
-- count = toPlace - fromPlace + 1, so the fillers keep the sum) and the user's window, so
-- statusFromSnapshot() answers over this list exactly as over every live window.
local function statusWindows(windowsKey, sessionMs, now, place)
  local head, tail = windowBounds(windowsKey)
  local first = firstLiveIndex(windowsKey, head, tail, sessionMs, now)
  if first >= tail then return {} end
  local picked = { first }
  if place ~= nil then
    local _, i = searchWindow(windowsKey, first, tail - 1, place)
    if i ~= nil and i > first then picked[#picked + 1] = i end
  end
  if tail - 1 > picked[#picked] then picked[#picked + 1] = tail - 1 end
  local out = {}
  local prev = nil
  for _, i in ipairs(picked) do
    local w = getWindow(windowsKey, i)
    if prev ~= nil and w.fromPlace > prev.toPlace + 1 then
      local filler = { at = prev.at, fromPlace = prev.toPlace + 1, toPlace = w.fromPlace - 1, freed = 0 }
      filler.count = filler.toPlace - filler.fromPlace + 1
      out[#out + 1] = encodeWindow(filler)
    end
    out[#out + 1] = encodeWindow(w)
    prev = w
  end
  return out
end

-- Every stored window, encoded, oldest first (HMGET in chunks: unpack() has a stack limit).
local function allWindows(windowsKey)
  local head, tail = windowBounds(windowsKey)
  local out = {}
  local i = head
  while i < tail do
    local last = math.min(tail - 1, i + 999)
    local fields = {}
    for j = i, last do fields[#fields + 1] = fmt(j) end
    local values = redis.call('HMGET', windowsKey, unpack(fields))
    for _, v in ipairs(values) do out[#out + 1] = v end
    i = last + 1
  end
  return out
end
