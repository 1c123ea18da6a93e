--[[
  Reads a sale (read-only): for getSale, snapshot, status and stats.

  Input:
    KEYS[1] meta key
    KEYS[2] windows key
    KEYS[3] tickets key
    KEYS[4] spent key (set of admitted places whose session ended early)
    ARGV[1] windows to include: 'none' | 'all' | 'status' (those the status of ARGV[2] needs)
    ARGV[2] userId whose ticket to include, or '' for none
    ARGV[3] now (epoch ms; used by 'status')

  Output:
    { OK, meta pairs, windows, ticket or false, spent (1/0) }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "saleReply"

local metaKey, windowsKey, ticketsKey, spentKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
local ticket = false
if ARGV[2] ~= '' then ticket = redis.call('HGET', ticketsKey, ARGV[2]) end
return saleReply(metaKey, windowsKey, ARGV[1], ticket, tonumber(ARGV[3]), spentKey)
