--[[
  One admission step. The arithmetic mirrors admissionStep() in src/domain/waitingRoom.ts line for
  line (same names, same order; the memory engine calls that function), then the changes are written
  as MemoryEngine.admit applies them. Differences are of storage only: the windows are read from the
  windows hash one at a time, and the sum TypeScript computes over the stored windows (`active`
  before expiry) is kept in that hash's 'active' field. A change here goes there too, and the other
  way round; test/contract/engine.differential.test.ts runs both against each other.

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

-- Mirrors refillAllowance() in src/domain/waitingRoom.ts.
local function refillAllowance(allowanceMilli, lastStepAt, now, perSecond)
  if lastStepAt == nil then return perSecond * 1000 end
  local elapsed = math.max(0, now - lastStepAt)
  return math.min(perSecond * 1000, allowanceMilli + elapsed * perSecond)
end

local metaKey, windowsKey = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local state = saleState(m, now)

-- admissionStep(room = m, windows = stored [head, tail), sale = m, state, now)
local sessionMs = m.sessionSeconds * 1000
local prequeueSize = prequeueSizeAt(m.prequeueSize, m.issued, m.startsAt, now)

-- Active before expiry: the stored sum. Expired sessions end at the head (windows are in time order).
local head, tail, active = windowBounds(windowsKey)
local expired = 0
while head + expired < tail do
  local w = getWindow(windowsKey, head + expired)
  if w.at + sessionMs > now then break end
  active = active - (w.count - w.freed)
  expired = expired + 1
end

local allowanceMilli = refillAllowance(m.allowanceMilli, m.lastStepAt, now, m.perSecond)

local admitted = 0
if state == 'live' then
  admitted = math.max(0, math.min(math.floor(allowanceMilli / 1000), m.maxActive - active, m.issued - m.serving))
end
local window = nil
local merged = false
local serving = m.serving
if admitted > 0 then
  local last = nil
  if tail > head + expired then last = getWindow(windowsKey, tail - 1) end
  if last ~= nil and now - last.at < WINDOW_MERGE_MS and last.toPlace == serving then
    window = {
      at = last.at, fromPlace = last.fromPlace, toPlace = last.toPlace + admitted,
      count = last.count + admitted, freed = last.freed,
    }
    merged = true
  else
    window = { at = now, fromPlace = serving + 1, toPlace = serving + admitted, count = admitted, freed = 0 }
  end
  serving = serving + admitted
  allowanceMilli = allowanceMilli - admitted * 1000
end
active = active + admitted

-- Apply the step.
if prequeueSize ~= m.prequeueSize then redis.call('HSET', metaKey, 'prequeueSize', fmt(prequeueSize)) end
for i = head, head + expired - 1 do redis.call('HDEL', windowsKey, fmt(i)) end
head = head + expired
if window ~= nil then
  if merged then
    putWindow(windowsKey, tail - 1, window)
  else
    putWindow(windowsKey, tail, window)
    tail = tail + 1
  end
end
redis.call('HSET', windowsKey, 'head', fmt(head), 'tail', fmt(tail), 'active', fmt(active))
redis.call('HSET', metaKey, 'serving', fmt(serving), 'allowanceMilli', fmt(allowanceMilli), 'lastStepAt', fmt(now))
return { OK, admitted, serving, active }
