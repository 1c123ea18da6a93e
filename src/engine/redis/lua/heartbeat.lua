--[[
  Heartbeats of admitted users still on the page (MemoryEngine.heartbeat): each one's lease runs
  the heartbeat interval from now, if their place still holds a slot (ZADD XX: a lease that went
  with a checkout or a lapse is not brought back). Answers the users whose session ended early.
  The batch is one process's pollers of the last second or so, never a walk over the line.

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket)
    KEYS[3] leases key (sorted set: admitted place -> lease deadline)
    KEYS[4] spent key (set of admitted places whose session ended early)
    ARGV[1] now (epoch ms)
    ARGV[2] heartbeat interval (ms), or '' when heartbeats are off (leases last the session)
    ARGV[3..] userIds

  Output:
    { OK, { userId whose session ended early, ... } }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"
--- @include "shuffle"

local metaKey, ticketsKey, leasesKey, spentKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
local heartbeatMs = tonumber(ARGV[2])

local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local keys = parseShuffleKeys(m.shuffleKeys)
local ended = {}
for i = 3, #ARGV do
  local userId = ARGV[i]
  local ticket = tonumber(redis.call('HGET', ticketsKey, userId) or '0')
  if ticket > 0 then
    local place = placeOf(ticket, m.prequeueSize, keys)
    if place ~= nil and place <= m.serving then
      if redis.call('SISMEMBER', spentKey, fmt(place)) == 1 then
        ended[#ended + 1] = userId
      elseif heartbeatMs ~= nil then
        redis.call('ZADD', leasesKey, 'XX', fmt(now + heartbeatMs), fmt(place))
      end
    end
  end
end
return { OK, ended }
