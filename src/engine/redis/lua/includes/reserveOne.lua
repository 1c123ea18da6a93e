--[[
  reserveOne(m, k, now, userId, quantity, idemField, holdId, holdKey): one reservation, the body of
  reserveMany.lua (a batch runs it once per request, in call order, so a second request with the
  same idempotency field sees the first one's hold, and a user's requests meet the limit in order).
  `k` holds the sale's keys: meta, tickets, units, leases, idem, deadlines, windows, spent. `m` is
  the sale as readMeta() returned it at the batch's start; a reservation writes only `available`,
  `held` and `holdSeq`, keeps `m` current with the two the checks read, and takes its sequence from
  the increment, so the batch reads the sale's hash once.
  Returns { OK, hold pairs }, { IDEM_REPEAT, earlier hold id } or a refusal (reserveMany.lua).

  Checks, in the memory engine's order: the sale exists; the (user, idempotency key) has no hold yet
  (else its id is returned and TypeScript answers with that hold); the sale is live; the user's
  session did not end early (left, or lapsed: their admission token may still be valid, their slot is
  not theirs any more); the user stays within their limit; enough stock. Then takes the units, writes
  the hold with its deadline, and frees the user's active slot in the waiting room once.
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "shuffle"
--- @include "windows"
--- @include "hold"
--- @include "slots"

-- The sale's keys of reserveMany.lua: KEYS[1..8], in the order its header gives.
local function saleKeysOfReserve()
  return {
    meta = KEYS[1], tickets = KEYS[2], units = KEYS[3], leases = KEYS[4], idem = KEYS[5],
    deadlines = KEYS[6], windows = KEYS[7], spent = KEYS[8],
  }
end

local function reserveOne(m, k, now, userId, quantity, idemField, holdId, holdKey)
  local earlier = redis.call('HGET', k.idem, idemField)
  if earlier then return { IDEM_REPEAT, earlier } end

  local state = saleState(m, now)
  if state == 'sold_out' then return { ERR_SOLD_OUT } end
  if state ~= 'live' then return { ERR_NOT_LIVE } end
  local ticket = tonumber(redis.call('HGET', k.tickets, userId) or '-1')
  local place = nil
  if ticket > 0 then place = placeOf(ticket, m.prequeueSize, parseShuffleKeys(m.shuffleKeys)) end
  if place ~= nil and place <= m.serving and redis.call('SISMEMBER', k.spent, fmt(place)) == 1 then
    return { ERR_SESSION_ENDED }
  end
  local units = tonumber(redis.call('HGET', k.units, userId) or '0')
  if units + quantity > m.perUserLimit then return { ERR_LIMIT_EXCEEDED } end
  if m.available == 0 then return { ERR_SOLD_OUT } end
  if m.available < quantity then return { ERR_INSUFFICIENT_STOCK } end

  m.available = redis.call('HINCRBY', k.meta, 'available', fmt(-quantity))
  m.held = redis.call('HINCRBY', k.meta, 'held', fmt(quantity))
  local seq = redis.call('HINCRBY', k.meta, 'holdSeq', 1)
  local expiresAt = now + m.holdSeconds * 1000
  -- Equal deadlines sort by member: the zero-padded sequence keeps them in reservation order.
  local member = string.format('%016d', seq) .. ':' .. holdId
  redis.call('HSET', holdKey, 'id', holdId, 'userId', userId, 'quantity', fmt(quantity),
    'expiresAt', fmt(expiresAt), 'status', 'held', 'member', member)
  redis.call('ZADD', k.deadlines, fmt(expiresAt), member)
  redis.call('HSET', k.idem, idemField, holdId)
  redis.call('HINCRBY', k.units, userId, fmt(quantity))

  -- A checkout frees the shopper's active slot for the next in line, once (its lease goes with it).
  -- Ticket 0 (reserved without joining) holds no slot.
  if ticket == -1 then
    redis.call('HSET', k.tickets, userId, '0')
  elseif place ~= nil and place <= m.serving then
    freePlace(k.leases, k.windows, place, m.sessionSeconds * 1000, now)
  end
  return { OK, holdPairs(holdKey) }
end
