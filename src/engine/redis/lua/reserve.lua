--[[
  Reserves units: one atomic step. Checks, in the memory engine's order: the sale exists; the
  (user, idempotency key) has no hold yet (else its id is returned and TypeScript answers with that
  hold); the sale is live; the user's session did not end early (left, or lapsed: their admission
  token may still be valid, their slot is not theirs any more); the user stays within their limit;
  enough stock. Then takes the units,
  writes the hold with its deadline, and frees the user's active slot in the waiting room once.

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket)
    KEYS[3] units key (hash userId -> units held or sold)
    KEYS[4] leases key (sorted set of admitted places holding a slot)
    KEYS[5] idempotency key (hash "userId\nkey" -> holdId)
    KEYS[6] deadlines key (sorted set expiresAt -> member)
    KEYS[7] windows key
    KEYS[8] hold key of the new hold
    KEYS[9] spent key (set of admitted places whose session ended early)
    ARGV[1] now (epoch ms)
    ARGV[2] userId
    ARGV[3] quantity
    ARGV[4] idempotency field "userId\nkey"
    ARGV[5] new hold id

  Output:
    { OK, hold pairs }
    { IDEM_REPEAT, earlier hold id }
    { ERR_SALE_NOT_FOUND | ERR_SOLD_OUT | ERR_NOT_LIVE | ERR_SESSION_ENDED | ERR_LIMIT_EXCEEDED
      | ERR_INSUFFICIENT_STOCK }
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "shuffle"
--- @include "windows"
--- @include "hold"
--- @include "slots"

local metaKey, ticketsKey, unitsKey, leasesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local idemKey, deadlinesKey, windowsKey, holdKey, spentKey = KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local now = tonumber(ARGV[1])
local userId = ARGV[2]
local quantity = tonumber(ARGV[3])
local idemField = ARGV[4]
local holdId = ARGV[5]

local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local earlier = redis.call('HGET', idemKey, idemField)
if earlier then return { IDEM_REPEAT, earlier } end

local state = saleState(m, now)
if state == 'sold_out' then return { ERR_SOLD_OUT } end
if state ~= 'live' then return { ERR_NOT_LIVE } end
local ticket = tonumber(redis.call('HGET', ticketsKey, userId) or '-1')
local place = nil
if ticket > 0 then place = placeOf(ticket, m.prequeueSize, parseShuffleKeys(m.shuffleKeys)) end
if place ~= nil and place <= m.serving and redis.call('SISMEMBER', spentKey, fmt(place)) == 1 then
  return { ERR_SESSION_ENDED }
end
local units = tonumber(redis.call('HGET', unitsKey, userId) or '0')
if units + quantity > m.perUserLimit then return { ERR_LIMIT_EXCEEDED } end
if m.available == 0 then return { ERR_SOLD_OUT } end
if m.available < quantity then return { ERR_INSUFFICIENT_STOCK } end

redis.call('HINCRBY', metaKey, 'available', fmt(-quantity))
redis.call('HINCRBY', metaKey, 'held', fmt(quantity))
local seq = redis.call('HINCRBY', metaKey, 'holdSeq', 1)
local expiresAt = now + m.holdSeconds * 1000
-- Equal deadlines sort by member: the zero-padded sequence keeps them in reservation order.
local member = string.format('%016d', seq) .. ':' .. holdId
redis.call('HSET', holdKey, 'id', holdId, 'userId', userId, 'quantity', fmt(quantity),
  'expiresAt', fmt(expiresAt), 'status', 'held', 'member', member)
redis.call('ZADD', deadlinesKey, fmt(expiresAt), member)
redis.call('HSET', idemKey, idemField, holdId)
redis.call('HINCRBY', unitsKey, userId, fmt(quantity))

-- A checkout frees the shopper's active slot for the next in line, once (its lease goes with it).
-- Ticket 0 (reserved without joining) holds no slot.
if ticket == -1 then
  redis.call('HSET', ticketsKey, userId, '0')
elseif place ~= nil and place <= m.serving then
  freePlace(leasesKey, windowsKey, place, m.sessionSeconds * 1000, now)
end
return { OK, holdPairs(holdKey) }
