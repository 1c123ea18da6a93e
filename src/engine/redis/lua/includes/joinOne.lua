--[[
  joinOne(m, metaKey, ticketsKey, spentKey, windowsKey, now, userId): one join, the body of
  joinMany.lua (a batch runs it once per request, in call order, so a batch is the same as its joins
  one after another). Takes a ticket in the waiting room, or keeps the user's existing one. A user
  who reserved without a ticket or left the line (ticket 0), or whose session is over (expired, left,
  lapsed), gets a new one at the back. No ticket is issued once the sale is ended or sold out.
  `m` is the sale as readMeta() returned it at the batch's start; a join writes only `issued` and
  `prequeueSize`, and keeps `m` current with both, so the batch reads the sale's hash once.

  Returns:
    { OK, windows, ticket, spent, issued, prequeueSize } -- after the join: the windows and spent
        flag as saleReply's 'status' mode gives them; `issued` and `prequeueSize` (false: not fixed
        yet) are the only fields of the sale that differ from the batch's (see joinMany.lua)
    { ERR_ROOM_NOT_OPEN }                                -- before the pre-queue opens
]]
--- @include "codes"
--- @include "meta"
--- @include "saleState"
--- @include "saleReply"
--- @include "slots"

local function joinOne(m, metaKey, ticketsKey, spentKey, windowsKey, now, userId)
  local state = saleState(m, now)
  if state == 'scheduled' then return { ERR_ROOM_NOT_OPEN } end
  freeze(metaKey, m, now)

  local ticket = redis.call('HGET', ticketsKey, userId)
  local fresh = not ticket or ticket == '0' or sessionOver(m, spentKey, windowsKey, tonumber(ticket), now)
  if fresh and state ~= 'ended' and state ~= 'sold_out' then
    m.issued = redis.call('HINCRBY', metaKey, 'issued', 1)
    ticket = fmt(m.issued)
    redis.call('HSET', ticketsKey, userId, ticket)
  end
  local windows, spent = statusParts(m, windowsKey, ticket, now, spentKey)
  local prequeueSize = false
  if m.prequeueSize ~= nil then prequeueSize = fmt(m.prequeueSize) end
  return { OK, windows, ticket or false, spent, fmt(m.issued), prequeueSize }
end
