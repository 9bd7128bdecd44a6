-- Snippet for limiter-settle: learns from x-ratelimit-remaining-* / x-ratelimit-reset-* what the provider
-- really has left, for requests and tokens alike. Returns true when the headers could be read.
-- Two things follow from them, on OpenAI's meaning (remaining: what may still be sent; reset: how long until
-- the window is back to full, refilling at the limit's rate):
-- * the limit really enforced is remaining / (1 - reset / 1 min). Below the advertised one (a key whose
--   headers claim more than is enforced), it becomes a ceiling (real*), refreshed by every answer, so
--   it follows the capacity up again as soon as it grows.
-- * the provider's debt when it admitted the call (reset, in time) less what refilled since, plus what was
--   granted here after the call, is what it has outstanding now. When that is more than this bucket
--   believes, someone else is spending (another app, another deployment): the bucket is drawn down to
--   match, for every worker. Several deployments doing so each see the others' spending and converge,
--   and as the draw-down is bounded by the provider's own debt, nobody is locked out.
local function syncWithProvider(key, now, ARGV)
  local h = redis.call('HMGET', key, 'r', 't', 'ts', 'seqR', 'seqT', 'learnedRpm', 'learnedTpm', 'ceilRpm', 'ceilTpm', 'realRpm', 'realTpm')
  local at = tonumber(ARGV[13])
  local burst, pace = tonumber(ARGV[20]), tonumber(ARGV[21])
  local ts = tonumber(h[3] or tostring(now))
  local dims = {
    { field = 'r', level = h[1], seq = h[4], granted = ARGV[14], configured = ARGV[11], learned = h[6],
      ceil = ARGV[5] ~= '' and ARGV[5] or h[8], realField = 'realRpm', real = h[10], remaining = ARGV[16], reset = ARGV[17] },
    { field = 't', level = h[2], seq = h[5], granted = ARGV[15], configured = ARGV[12], learned = h[7],
      ceil = ARGV[6] ~= '' and ARGV[6] or h[9], realField = 'realTpm', real = h[11], remaining = ARGV[18], reset = ARGV[19] },
  }
  local usable, drawn = false, false
  for _, d in ipairs(dims) do
    local remaining, reset = tonumber(d.remaining), tonumber(d.reset)
    local advertised = tonumber(d.ceil or '0') or 0
    -- remaining 0 (a 429, the window's last call) says how little is left, not the rate: the bucket
    -- is drawn down below, but the limit learned from earlier answers stays.
    if remaining and reset and reset < 60000 then usable = true end
    if remaining and remaining > 0 and reset and reset < 60000 then
      local real = remaining * 60000 / (60000 - reset)
      -- Rounding in the headers is not a lower limit: only a clear shortfall counts.
      if advertised > 0 and real < advertised * 0.995 then
        redis.call('HSET', key, d.realField, real)
        d.real = real
      else
        redis.call('HDEL', key, d.realField)
        d.real = false
      end
    end
    local limit = smallestLimit(d.configured, d.learned, d.ceil, d.real)
    local paced = limit * pace
    local level = tonumber(d.level or '')
    if paced > 0 and level then
      -- The bucket as it is now (as limiter-acquire refills it).
      local cap = math.max(1, paced * burst / 60)
      level = math.min(cap, level + math.max(0, now - ts) * paced / 60000)
      if remaining and reset and reset < 60000 and at then
        local serverRate = tonumber(d.real or '') or (advertised > 0 and advertised or limit)
        local since = math.max(0, (tonumber(d.seq or '0') or 0) - (tonumber(d.granted) or 0))
        local outstanding = (reset - math.max(0, now - at)) * serverRate / 60000 + since
        -- Within one burst is rounding and timing (the headers' milliseconds, a late timer), not another spender.
        if cap - outstanding < level - cap then
          level = cap - outstanding
          drawn = true
        end
      end
      d.level = level
    end
  end
  if drawn then
    local fields = { 'ts', math.max(ts, now), 'drawnAt', now }
    for _, d in ipairs(dims) do
      if tonumber(d.level or '') then
        table.insert(fields, d.field)
        table.insert(fields, d.level)
      end
    end
    redis.call('HSET', key, unpack(fields))
  end
  return usable
end
