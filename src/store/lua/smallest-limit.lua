-- Snippet: the smallest of the limits that are set (0 or nil = not set); 0 when none is.
local function smallestLimit(...)
  local best = 0
  for _, value in ipairs({ ... }) do
    value = tonumber(value or '0') or 0
    if value > 0 and (best == 0 or value < best) then best = value end
  end
  return best
end
