--[[
  Status codes (and two tiny helpers every script needs): the first element of every script's reply. `src/engine/redis/codes.ts` maps them,
  in one place, to FlashsaleError codes, under the same names (test/unit/luaCodes.test.ts fails when the
  two disagree). Negative = refusal; 0 = done; positive = done, look again.
]]
local OK = 0
local IDEM_REPEAT = 1 -- reserve: this (user, idempotency key) already has a hold; its id follows
local SWEEP_INCOMPLETE = 2 -- sweep: an expired hold was not among the candidates; read again
local ERR_SALE_NOT_FOUND = -1
local ERR_SALE_EXISTS = -2
local ERR_NOT_LIVE = -3
local ERR_ROOM_NOT_OPEN = -4
local ERR_SOLD_OUT = -5
local ERR_INSUFFICIENT_STOCK = -6
local ERR_LIMIT_EXCEEDED = -7
local ERR_HOLD_NOT_FOUND = -8
local ERR_HOLD_EXPIRED = -9
local ERR_HOLD_RELEASED = -10
local ERR_HOLD_CONFIRMED = -11
local ERR_SESSION_ENDED = -12 -- reserve: the user's session ended early (left, or lapsed)

-- Integers as plain digits: tostring() prints 1.2345678901234e+14 and loses digits past 14.
local function fmt(n)
  return string.format('%d', n)
end

-- A hash's listed fields as a flat {field, value, ...} reply (missing fields come back as false).
local function fieldPairs(key, fields)
  local values = redis.call('HMGET', key, unpack(fields))
  local out = {}
  for i, field in ipairs(fields) do
    out[#out + 1] = field
    out[#out + 1] = values[i]
  end
  return out
end
