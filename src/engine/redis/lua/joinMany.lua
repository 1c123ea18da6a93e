--[[
  Several joins of one sale in one call (the engine's group commit): each request runs join.lua's
  body (includes/joinOne.lua) in order, with its own now, and gets its own reply — a refusal is that
  request's alone. All keys are the sale's, so the batch is one script on one cluster slot.

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket; 0 = reserved without joining)
    KEYS[3] spent key (set of admitted places whose session ended early)
    KEYS[4] windows key
    ARGV[2i-1] now of request i (epoch ms: the time its caller asked)
    ARGV[2i]   userId of request i

  Output:
    { OK, reply 1, reply 2, ... } -- reply i: join.lua's output for request i, e.g.
                                  -- { OK, meta pairs, windows, ticket, spent } or { ERR_ROOM_NOT_OPEN }
]]
--- @include "joinOne"

local out = { OK }
for i = 1, #ARGV, 2 do
  out[#out + 1] = joinOne(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[i]), ARGV[i + 1])
end
return out
