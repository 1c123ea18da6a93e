--[[
  Reads a sale (read-only): for getSale, snapshot, status and stats.

  Input:
    KEYS[1] meta key
    KEYS[2] windows key
    KEYS[3] tickets key
    ARGV[1] windows to include: 'none' | 'all' | 'status' (those the status of ARGV[2] needs)
    ARGV[2] userId whose ticket to include, or '' for none
    ARGV[3] now (epoch ms; used by 'status')

  Output:
    { OK, meta pairs, windows, ticket or false }
    { ERR_SALE_NOT_FOUND }
]]
--- @include "codes"
--- @include "saleReply"

local metaKey, windowsKey, ticketsKey = KEYS[1], KEYS[2], KEYS[3]
if redis.call('EXISTS', metaKey) == 0 then return { ERR_SALE_NOT_FOUND } end
local ticket = false
if ARGV[2] ~= '' then ticket = redis.call('HGET', ticketsKey, ARGV[2]) end
return saleReply(metaKey, windowsKey, ARGV[1], ticket, tonumber(ARGV[3]))
