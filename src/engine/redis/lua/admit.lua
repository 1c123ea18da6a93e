--[[
  One admission step. First the slots whose lease lapsed are freed (MemoryEngine.freeLapsed). The
  arithmetic then mirrors admissionStep() in src/domain/waitingRoom.ts line for line (same names,
  same order; the memory engine calls that function), and the changes are written as
  MemoryEngine.admit applies them. Differences are of storage only: the windows are read from the
  windows hash one at a time, the sum TypeScript computes over the stored windows (`active` before
  expiry) is kept in that hash's 'active' field, and the walk over the line removes each departed
  ticket it passes and gives each admitted place its lease as it goes. A change here goes there too,
  and the other way round; test/contract/engine.differential.test.ts runs both against each other.

  Input:
    KEYS[1] meta key
    KEYS[2] windows key
    KEYS[3] leases key (sorted set: admitted place -> lease deadline)
    KEYS[4] departed key (set of tickets that left the line and are not passed yet)
    KEYS[5] spent key (set of admitted places whose session ended early)
    ARGV[1] now (epoch ms)
    ARGV[2] first lease of an admitted place (ms): the heartbeat interval plus the longest poll
            interval (MAX_POLL_AFTER_MS), or '' for the whole session

  Output:
    { OK, admitted, serving, active }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "windows"
--- @include "shuffle"
--- @include "slots"

-- DEPARTED_SKIP_LIMIT in src/domain/waitingRoom.ts; LAPSED_LIMIT in src/engine/types.ts.
local DEPARTED_SKIP_LIMIT = 1000
local LAPSED_LIMIT = 1000

-- Mirrors refillAllowance() in src/domain/waitingRoom.ts.
local function refillAllowance(allowanceMilli, lastStepAt, now, perSecond)
  if lastStepAt == nil then return perSecond * 1000 end
  local elapsed = math.max(0, now - lastStepAt)
  return math.min(perSecond * 1000, allowanceMilli + elapsed * perSecond)
end

local metaKey, windowsKey, leasesKey, departedKey, spentKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[1])
local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local state = saleState(m, now)
local sessionMs = m.sessionSeconds * 1000
local leaseMs = tonumber(ARGV[2]) or sessionMs

-- Slots whose lease ran out: freed for this step, their sessions ended (MemoryEngine.freeLapsed).
local lapsed = redis.call('ZRANGEBYSCORE', leasesKey, '-inf', fmt(now), 'LIMIT', 0, LAPSED_LIMIT)
for _, member in ipairs(lapsed) do
  if freePlace(leasesKey, windowsKey, tonumber(member), sessionMs, now) then
    redis.call('SADD', spentKey, member)
  end
end

-- admissionStep(room = m, windows = stored [head, tail), sale = m, state, now, departedAt)
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

local target = 0
if state == 'live' then
  target = math.max(0, math.min(math.floor(allowanceMilli / 1000), m.maxActive - active,
    m.issued - m.serving - (m.departed or 0)))
end
-- Walk the line: every departed ticket is behind `serving`.
local keys = parseShuffleKeys(m.shuffleKeys)
local leaseUntil = fmt(now + leaseMs)
local serving = m.serving
local admitted = 0
local skipped = 0
while admitted < target and skipped < DEPARTED_SKIP_LIMIT and serving < m.issued do
  serving = serving + 1
  if redis.call('SREM', departedKey, fmt(ticketAt(serving, prequeueSize, keys))) == 1 then
    skipped = skipped + 1
  else
    admitted = admitted + 1
    redis.call('ZADD', leasesKey, leaseUntil, fmt(serving))
  end
end
local advanced = serving - m.serving
local window = nil
local merged = false
if advanced > 0 then
  local last = nil
  if tail > head + expired then last = getWindow(windowsKey, tail - 1) end
  if last ~= nil and now - last.at < WINDOW_MERGE_MS and last.toPlace == m.serving then
    window = {
      at = last.at, fromPlace = last.fromPlace, toPlace = serving,
      count = last.count + advanced, freed = last.freed + skipped,
    }
    merged = true
  else
    window = { at = now, fromPlace = m.serving + 1, toPlace = serving, count = advanced, freed = skipped }
  end
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
if skipped > 0 then
  redis.call('HINCRBY', metaKey, 'departed', -skipped)
  redis.call('HINCRBY', metaKey, 'passed', skipped)
end
return { OK, admitted, serving, active }
