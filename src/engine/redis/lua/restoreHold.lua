--[[
  Puts back a hold the store lost, from the pending order PostgreSQL recorded (restoreHold in the
  memory engine). Its units move from available to held, count against the user's limit, and its
  idempotency field names it again. A hold already present is left as it is.

  Input:
    KEYS[1] meta key
    KEYS[2] units key (hash userId -> units held or sold)
    KEYS[3] idempotency key (hash "userId\nkey" -> holdId)
    KEYS[4] deadlines key (sorted set expiresAt -> member)
    KEYS[5] hold key
    ARGV[1] hold id
    ARGV[2] userId
    ARGV[3] quantity
    ARGV[4] expiresAt (epoch ms)
    ARGV[5] idempotency field "userId\nkey", or '' when the order has none

  Output:
    { OK, 'restored' | 'exists' | 'no_stock' }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "meta"

local metaKey, unitsKey, idemKey, deadlinesKey, holdKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local holdId, userId = ARGV[1], ARGV[2]
local quantity = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
local idemField = ARGV[5]

local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
if redis.call('EXISTS', holdKey) == 1 then return { OK, 'exists' } end
if m.available < quantity then return { OK, 'no_stock' } end

redis.call('HINCRBY', metaKey, 'available', fmt(-quantity))
redis.call('HINCRBY', metaKey, 'held', fmt(quantity))
local seq = redis.call('HINCRBY', metaKey, 'holdSeq', 1)
local member = string.format('%016d', seq) .. ':' .. holdId
redis.call('HSET', holdKey, 'id', holdId, 'userId', userId, 'quantity', fmt(quantity),
  'expiresAt', fmt(expiresAt), 'status', 'held', 'member', member)
redis.call('ZADD', deadlinesKey, fmt(expiresAt), member)
if idemField ~= '' then redis.call('HSET', idemKey, idemField, holdId) end
redis.call('HINCRBY', unitsKey, userId, fmt(quantity))
return { OK, 'restored' }
