--[[
  Takes a ticket in the waiting room, or keeps the user's existing one. A user who reserved without
  a ticket or left the line (ticket 0), or whose session is over (expired, left, lapsed), gets a new
  one at the back. No ticket is issued once the sale is ended or sold out.

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket; 0 = reserved without joining)
    KEYS[3] spent key (set of admitted places whose session ended early)
    KEYS[4] windows key
    ARGV[1] now (epoch ms)
    ARGV[2] userId

  Output:
    { OK, meta pairs, windows, ticket, spent } -- after the join; windows as saleReply's 'status' mode
    { ERR_SALE_NOT_FOUND }
    { ERR_ROOM_NOT_OPEN }               -- before the pre-queue opens
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "saleReply"
--- @include "slots"

local metaKey, ticketsKey, spentKey, windowsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[1])
local userId = ARGV[2]

local m = readMeta(metaKey)
if m == nil then return { ERR_SALE_NOT_FOUND } end
local state = saleState(m, now)
if state == 'scheduled' then return { ERR_ROOM_NOT_OPEN } end
freeze(metaKey, m, now)

local ticket = redis.call('HGET', ticketsKey, userId)
local fresh = not ticket or ticket == '0' or sessionOver(m, spentKey, windowsKey, tonumber(ticket), now)
if fresh and state ~= 'ended' and state ~= 'sold_out' then
  ticket = fmt(redis.call('HINCRBY', metaKey, 'issued', 1))
  redis.call('HSET', ticketsKey, userId, ticket)
end
return saleReply(metaKey, windowsKey, 'status', ticket, now, spentKey)
