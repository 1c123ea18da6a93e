--[[
  Reservations of one sale in one call (the engine's group commit; a lone reservation is a batch of
  one): each request runs includes/reserveOne.lua, which says what is checked and in which order, in
  call order with its own now, and gets its own reply, so a refusal is that request's alone. The sale
  is read once for the batch. KEYS hold one new hold key per request, so a cluster node sees every
  key the script touches (all carry the sale's hash tag: one slot).

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket)
    KEYS[3] units key (hash userId -> units held or sold)
    KEYS[4] leases key (sorted set of admitted places holding a slot)
    KEYS[5] idempotency key (hash "userId\nkey" -> holdId)
    KEYS[6] deadlines key (sorted set expiresAt -> member)
    KEYS[7] windows key
    KEYS[8] spent key (set of admitted places whose session ended early)
    KEYS[8+i] hold key of request i's new hold
    ARGV[5i-4] now of request i (epoch ms: the time its caller asked)
    ARGV[5i-3] userId of request i
    ARGV[5i-2] quantity of request i
    ARGV[5i-1] idempotency field "userId\nkey" of request i
    ARGV[5i]   new hold id of request i

  Output:
    { OK, reply 1, reply 2, ... } -- reply i, for request i:
      { OK, hold pairs }
      { IDEM_REPEAT, earlier hold id }
      { ERR_SALE_NOT_FOUND | ERR_SOLD_OUT | ERR_NOT_LIVE | ERR_SESSION_ENDED | ERR_LIMIT_EXCEEDED
        | ERR_INSUFFICIENT_STOCK }
]]
--- @include "reserveOne"

local k = saleKeysOfReserve()
local m = readMeta(k.meta)
local out = { OK }
for i = 1, (#KEYS - 8) do
  local a = 5 * (i - 1)
  if m == nil then
    out[#out + 1] = { ERR_SALE_NOT_FOUND }
  else
    out[#out + 1] = reserveOne(m, k, tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3]),
      ARGV[a + 4], ARGV[a + 5], KEYS[8 + i])
  end
end
return out
