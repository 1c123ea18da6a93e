--[[
  Reserves units: one atomic step (includes/reserveOne.lua says what is checked, in which order;
  several reservations of one sale go to Redis together as reserveMany.lua).

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket)
    KEYS[3] units key (hash userId -> units held or sold)
    KEYS[4] leases key (sorted set of admitted places holding a slot)
    KEYS[5] idempotency key (hash "userId\nkey" -> holdId)
    KEYS[6] deadlines key (sorted set expiresAt -> member)
    KEYS[7] windows key
    KEYS[8] spent key (set of admitted places whose session ended early)
    KEYS[9] hold key of the new hold
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
--- @include "reserveOne"

return reserveOne(saleKeysOfReserve(), tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5], KEYS[9])
