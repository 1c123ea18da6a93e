--[[
  The pre-queue shuffle: permute/placeOf of src/domain/shuffle.ts, the same operations in the same
  order on doubles. Every intermediate stays below 2^53 and math.fmod is exact like JavaScript's %,
  so both sides compute the same places. Keys are stored as "k1,k2,k3,k4" ("" for a FIFO sale).
  An include: no KEYS or ARGV of its own; it defines parseShuffleKeys, placeOf and ticketAt.
  direction is 1 (ticket -> place) or -1 (place -> ticket), as Direction in the TypeScript.
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

-- The Feistel network over [0, m*m), both ways (feistel in src/domain/shuffle.ts). A round maps
-- (L, R) to (R, L + F(R)); undone on swapped halves it is the same step with F subtracted. So the
-- inverse swaps the halves, runs the rounds in reverse order subtracting, and swaps back.
local function feistel(x, m, keys, direction)
  local high = math.floor(x / m)
  local low = math.fmod(x, m)
  local left, right, first, last = high, low, 1, #keys
  if direction < 0 then left, right, first, last = low, high, #keys, 1 end
  for i = first, last, direction do
    local nextRight = math.fmod(math.fmod(left + direction * shuffleRound(right, keys[i]), m) + m, m)
    left = right
    right = nextRight
  end
  if direction < 0 then return right * m + left end
  return left * m + right
end

-- The network walked down to [0, n) (cycle walking), either way.
local function shuffleWalk(x, n, keys, direction)
  if n <= 1 then return 0 end
  local m = math.ceil(math.sqrt(n))
  local y = feistel(x, m, keys, direction)
  while y >= n do y = feistel(y, m, keys, direction) end
  return y
end

-- A 1-based number through the shuffle either way; past the pre-queue it keeps its value; nil
-- while a shuffled pre-queue is not frozen.
local function throughShuffle(value, prequeueSize, keys, direction)
  if keys == nil then return value end
  if prequeueSize == nil then return nil end
  if value > prequeueSize then return value end
  return shuffleWalk(value - 1, prequeueSize, keys, direction) + 1
end

-- The 1-based place in line of `ticket` (placeOf in src/domain/shuffle.ts).
local function placeOf(ticket, prequeueSize, keys)
  return throughShuffle(ticket, prequeueSize, keys, 1)
end

-- The ticket at a 1-based place (ticketAt in src/domain/shuffle.ts).
local function ticketAt(place, prequeueSize, keys)
  return throughShuffle(place, prequeueSize, keys, -1)
end
