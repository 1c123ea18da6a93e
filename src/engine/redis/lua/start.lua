--[[
  Opens a sale now: moves startsAt (and prequeueAt) back to now if they are later, then freezes the
  pre-queue.

  Input:
    KEYS[1] meta key
    ARGV[1] now (epoch ms)

  Output:
    { OK, meta pairs, {}, false }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"
--- @include "saleReply"

local metaKey = KEYS[1]
local now = tonumber(ARGV[1])
local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
if m.startsAt > now then
  m.startsAt = now
  m.prequeueAt = math.min(m.prequeueAt, now)
  redis.call('HSET', metaKey, 'startsAt', fmt(m.startsAt), 'prequeueAt', fmt(m.prequeueAt))
end
freeze(metaKey, m, now)
return saleReply(metaKey, nil, 'none', nil, nil)
