--[[
  The pre-queue shuffle: permute/placeOf of src/domain/shuffle.ts, the same operations in the same
  order on doubles. Every intermediate stays below 2^53 and math.fmod is exact like JavaScript's %,
  so both sides compute the same places. Keys are stored as "k1,k2,k3,k4" ("" for a FIFO sale).
]]
local function parseShuffleKeys(text)
  if text == nil or text == '' then return nil end
  local keys = {}
  for k in string.gmatch(text, '%d+') do keys[#keys + 1] = tonumber(k) end
  return keys
end

local function shuffleRound(r, key)
  return math.floor(math.fmod((r + key) * 1103515245 + 12345, 2147483648) / 65536)
end

local function feistel(x, m, keys)
  local left = math.floor(x / m)
  local right = math.fmod(x, m)
  for i = 1, #keys do
    local nextRight = math.fmod(left + shuffleRound(right, keys[i]), m)
    left = right
    right = nextRight
  end
  return left * m + right
end

-- The permutation of [0, n): index -> shuffled index (cycle walking down from [0, m*m)).
local function permute(index, n, keys)
  if n <= 1 then return 0 end
  local m = math.ceil(math.sqrt(n))
  local y = feistel(index, m, keys)
  while y >= n do y = feistel(y, m, keys) end
  return y
end

-- The 1-based place in line of `ticket`; nil while a shuffled pre-queue is not frozen.
local function placeOf(ticket, prequeueSize, keys)
  if keys == nil then return ticket end
  if prequeueSize == nil then return nil end
  if ticket > prequeueSize then return ticket end
  return permute(ticket - 1, prequeueSize, keys) + 1
end

-- The inverse of feistel: the rounds undone in reverse order (feistelInverse in src/domain/shuffle.ts).
local function feistelInverse(y, m, keys)
  local left = math.floor(y / m)
  local right = math.fmod(y, m)
  for i = #keys, 1, -1 do
    local previousRight = left
    left = math.fmod(math.fmod(right - shuffleRound(previousRight, keys[i]), m) + m, m)
    right = previousRight
  end
  return left * m + right
end

-- The inverse permutation of [0, n): shuffled index -> index (cycle walking backwards).
local function unpermute(shuffled, n, keys)
  if n <= 1 then return 0 end
  local m = math.ceil(math.sqrt(n))
  local x = feistelInverse(shuffled, m, keys)
  while x >= n do x = feistelInverse(x, m, keys) end
  return x
end

-- The ticket at a 1-based place (ticketAt in src/domain/shuffle.ts); nil while not frozen.
local function ticketAt(place, prequeueSize, keys)
  if keys == nil then return place end
  if prequeueSize == nil then return nil end
  if place > prequeueSize then return place end
  return unpermute(place - 1, prequeueSize, keys) + 1
end
