--[[
  Releases (reason 'expired') up to `limit` holds past their deadline, earliest first.

  The hold keys must be declared, so TypeScript first reads candidates from the deadlines set and
  passes their keys; here the set is read again and each due hold is released if it is among the
  candidates. A due hold that is not (another process changed the set in between) stops the sweep
  with SWEEP_INCOMPLETE, and TypeScript reads again. Without concurrent writers, one call does all.

  Input:
    KEYS[1] meta key
    KEYS[2] deadlines key
    KEYS[3] units key
    KEYS[4..] hold keys of the candidates
    ARGV[1] now (epoch ms)
    ARGV[2] limit (0 releases nothing)
    ARGV[3..] deadlines members of the candidates, in the order of KEYS[4..]

  Output:
    { OK | SWEEP_INCOMPLETE, released }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "hold"

local metaKey, deadlinesKey, unitsKey = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
local candidates = {}
for i = 3, #ARGV do candidates[ARGV[i]] = KEYS[i + 1] end

local due = redis.call('ZRANGEBYSCORE', deadlinesKey, '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local released = 0
for _, member in ipairs(due) do
  local holdKey = candidates[member]
  if holdKey == nil then return { SWEEP_INCOMPLETE, released } end
  releaseHold(holdKey, metaKey, deadlinesKey, unitsKey, 'expired')
  released = released + 1
end
return { OK, released }
