--[[
  saleState(m, now): the state of a sale at `now`, from the table readMeta() returns.
  Mirrors saleState() in src/domain/sale.ts line for line; the contract suite keeps the two in step.
]]
local function saleState(m, now)
  if m.ended == 1 or now >= m.endsAt then return 'ended' end
  if now < m.prequeueAt then return 'scheduled' end
  if now < m.startsAt then return 'prequeue' end
  if m.paused == 1 then return 'paused' end
  if m.pool ~= nil then
    if string.sub(m.pool, -1) == '1' then return 'sold_out' end
    return 'live'
  end
  if m.available == 0 and m.held == 0 then return 'sold_out' end
  return 'live'
end
