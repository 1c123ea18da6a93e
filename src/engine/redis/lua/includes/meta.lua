--[[
  The sale hash `{sale:<id>}:meta`: settings, switches and counters, all numbers stored as integers.
  Absent fields: `prequeueSize` (not frozen yet) and `lastStepAt` (no admission step yet) mean null;
  `departed` (tickets that left the line and that admission has not passed yet) and `passed` (places
  admission passed over because their buyer had left) absent mean 0. `pool` is set on the parts of
  a sale split into several (src/domain/parts.ts) and absent otherwise: "<parts>:<the whole sale's
  stock>:<drained 0|1>", one field so that an unsplit sale's reads carry one absent field, not three.
]]
--- @include "codes"
local META_FIELDS = {
  'id', 'totalStock', 'perUserLimit', 'prequeueAt', 'startsAt', 'endsAt', 'queueing', 'shuffleSeed',
  'shuffleKeys', 'perSecond', 'maxActive', 'sessionSeconds', 'holdSeconds', 'paused', 'ended',
  'available', 'held', 'sold', 'issued', 'prequeueSize', 'serving', 'allowanceMilli', 'lastStepAt',
  'holdSeq', 'departed', 'passed', 'pool',
}
local META_TEXT = { id = true, queueing = true, shuffleSeed = true, shuffleKeys = true, pool = true }

-- The sale as a table (numbers as numbers), or nil when no sale has this key.
local function readMeta(metaKey)
  local values = redis.call('HMGET', metaKey, unpack(META_FIELDS))
  if not values[1] then return nil end
  local m = {}
  for i, field in ipairs(META_FIELDS) do
    local v = values[i]
    if v then
      if META_TEXT[field] then m[field] = v else m[field] = tonumber(v) end
    end
  end
  return m
end

-- The sale as a flat field, value, field, value... list (false for absent), decoded in TypeScript.
local function metaPairs(metaKey)
  return fieldPairs(metaKey, META_FIELDS)
end

-- The pre-queue's size at `now`. Mirrors prequeueSizeAt() in src/domain/waitingRoom.ts line for line:
-- fixed at the start to the tickets issued by then; until stored, what was issued is the size.
local function prequeueSizeAt(prequeueSize, issued, startsAt, now)
  if prequeueSize == nil and now >= startsAt then return issued end
  return prequeueSize
end

-- Stores the pre-queue's size once it is fixed (its tickets are the ones the shuffle orders).
local function freeze(metaKey, m, now)
  local size = prequeueSizeAt(m.prequeueSize, m.issued, m.startsAt, now)
  if size ~= m.prequeueSize then
    m.prequeueSize = size
    redis.call('HSET', metaKey, 'prequeueSize', fmt(size))
  end
end

-- Units of the sale still available or held (0: everything is sold), as confirm returns it.
local function stockLeft(metaKey)
  local v = redis.call('HMGET', metaKey, 'available', 'held')
  return tonumber(v[1]) + tonumber(v[2])
end
