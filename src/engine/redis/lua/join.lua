--[[
  Takes a ticket in the waiting room, or keeps the user's existing one (includes/joinOne.lua; several
  joins of one sale go to Redis together as joinMany.lua).

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
--- @include "joinOne"

return joinOne(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[1]), ARGV[2])
