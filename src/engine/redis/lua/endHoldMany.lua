--[[
  Ends holds of one sale, each by a confirmation (includes/confirmOne.lua) or a release
  (includes/releaseOne.lua), in call order: the engine's group commit of its confirm and release
  calls. A lone call is a batch of one. Each request gets its own reply, so a refusal is that
  request's alone, and a confirm and a release of the same hold in one batch meet in the order they
  were called, as they would one after another. Every hold key is a KEY (all carry the sale's hash
  tag: one slot).

  Input:
    KEYS[1] meta key
    KEYS[2] deadlines key
    KEYS[3] units key
    KEYS[3+i] hold key of request i
    ARGV[2i-1] 'confirm' | 'release' (request i)
    ARGV[2i]   a confirmation's now (epoch ms: the time its caller asked), or a release's reason

  Output:
    { OK, reply 1, reply 2, ... } -- reply i: confirmOne's or releaseOne's reply for request i
]]
--- @include "confirmOne"
--- @include "releaseOne"

local out = { OK }
for i = 1, (#KEYS - 3) do
  local a = 2 * (i - 1)
  local holdKey = KEYS[3 + i]
  if ARGV[a + 1] == 'confirm' then
    out[#out + 1] = confirmOne(KEYS[1], holdKey, KEYS[2], KEYS[3], tonumber(ARGV[a + 2]))
  else
    out[#out + 1] = releaseOne(KEYS[1], holdKey, KEYS[2], KEYS[3], ARGV[a + 2])
  end
end
return out
