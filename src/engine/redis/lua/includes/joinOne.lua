--[[
  joinOne(metaKey, ticketsKey, spentKey, windowsKey, now, userId): one join, the body of join.lua and
  of joinMany.lua (a batch runs it once per request, in call order, so a batch is the same as its
  joins one after another). Takes a ticket in the waiting room, or keeps the user's existing one. A
  user who reserved without a ticket or left the line (ticket 0), or whose session is over (expired,
  left, lapsed), gets a new one at the back. No ticket is issued once the sale is ended or sold out.
  Returns join.lua's reply (see its header).
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "saleReply"
--- @include "slots"

local function joinOne(metaKey, ticketsKey, spentKey, windowsKey, now, userId)
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
end
