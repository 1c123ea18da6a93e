--[[
  One admission step (MemoryEngine.admit, step for step): freeze the pre-queue, drop expired
  windows, refill the token bucket, then advance `serving` within the allowance, the free active
  slots and the tickets issued. Steps less than WINDOW_MERGE_MS apart share a window.

  Input:
    KEYS[1] meta key
    KEYS[2] windows key
    ARGV[1] now (epoch ms)

  Output:
    { OK, admitted, serving, active }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "windows"

local metaKey, windowsKey = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local sessionMs = m.sessionSeconds * 1000
freeze(metaKey, m, now)

-- Expired sessions end: windows are in time order, so the expired ones are at the head.
local head, tail, active = windowBounds(windowsKey)
while head < tail do
  local w = getWindow(windowsKey, head)
  if w.at + sessionMs > now then break end
  redis.call('HDEL', windowsKey, fmt(head))
  active = active - (w.count - w.freed)
  head = head + 1
end

-- Token bucket in thousandths (refillAllowance in domain/queue.ts).
local full = m.perSecond * 1000
local allowance = full
if m.lastStepAt ~= nil then
  allowance = math.min(full, (m.allowanceMilli or 0) + math.max(0, now - m.lastStepAt) * m.perSecond)
end

local admitted = 0
if saleState(m, now) == 'live' then
  admitted = math.max(0, math.min(math.floor(allowance / 1000), m.maxActive - active, m.issued - m.serving))
end
local activeBefore = active
if admitted > 0 then
  local last = nil
  if tail > head then last = getWindow(windowsKey, tail - 1) end
  if last ~= nil and now - last.at < WINDOW_MERGE_MS and last.toPlace == m.serving then
    last.toPlace = last.toPlace + admitted
    last.count = last.count + admitted
    putWindow(windowsKey, tail - 1, last)
  else
    local w = { at = now, fromPlace = m.serving + 1, toPlace = m.serving + admitted, count = admitted, freed = 0 }
    putWindow(windowsKey, tail, w)
    tail = tail + 1
  end
  m.serving = m.serving + admitted
  allowance = allowance - admitted * 1000
  active = active + admitted
end

redis.call('HSET', windowsKey, 'head', fmt(head), 'tail', fmt(tail), 'active', fmt(active))
redis.call('HSET', metaKey, 'serving', fmt(m.serving), 'allowanceMilli', fmt(allowance), 'lastStepAt', fmt(now))
return { OK, admitted, m.serving, activeBefore + admitted }
