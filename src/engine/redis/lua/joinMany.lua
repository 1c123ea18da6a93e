--[[
  Joins of one sale in one call (the engine's group commit; a lone join is a batch of one): each
  request runs includes/joinOne.lua in order, with its own now, and gets its own reply, so a refusal
  is that request's alone. All keys are the sale's, so the batch is one script on one cluster slot.

  The sale is read once for the batch and sent once, after it (read again: one HMGET per batch):
  every join of a flash sale's rush answers with the same sale but for `issued` and `prequeueSize`,
  which each reply carries as they were after its own join. (Sending the whole sale with each reply
  cost about three times the join.)

  Input:
    KEYS[1] meta key
    KEYS[2] tickets key (hash userId -> ticket; 0 = reserved without joining)
    KEYS[3] spent key (set of admitted places whose session ended early)
    KEYS[4] windows key
    ARGV[2i-1] now of request i (epoch ms: the time its caller asked)
    ARGV[2i]   userId of request i

  Output:
    { OK, meta pairs after the batch (false: no such sale), reply 1, reply 2, ... }
      -- reply i: joinOne's reply, e.g. { OK, windows, ticket, spent, issued, prequeueSize },
      -- { ERR_ROOM_NOT_OPEN } or { ERR_SALE_NOT_FOUND }
]]
--- @include "joinOne"

local m = readMeta(KEYS[1])
local out = { OK, false }
for i = 1, #ARGV, 2 do
  if m == nil then
    out[#out + 1] = { ERR_SALE_NOT_FOUND }
  else
    out[#out + 1] = joinOne(m, KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[i]), ARGV[i + 1])
  end
end
if m ~= nil then out[2] = metaPairs(KEYS[1]) end
return out
