-- Settles a call made under a limiter key: corrects the token reservation with what was really
-- charged, updates the circuit, applies a pause (429) and limits learned from the provider.
-- KEYS[1] limiter hash
-- ARGV[1] unused (time comes from the Redis server)  ARGV[2] token correction (charged - reserved; negative refunds)
-- ARGV[3] outcome: ok | rate_limited | failed | none
-- ARGV[4] pause ms (rate_limited)  ARGV[5] learned rpm or ''  ARGV[6] learned tpm or ''
-- ARGV[7] circuit threshold (consecutive failures)  ARGV[8] base cooldown ms  ARGV[9] max cooldown ms
-- ARGV[10] cut factor for a 429 that taught no limits (e.g. 0.8)  ARGV[11] configured rpm  ARGV[12] configured tpm
-- ARGV[13] the call's slot time (ms, Redis clock) or ''  ARGV[14] requests granted up to and with it  ARGV[15] tokens granted so
-- ARGV[16] x-ratelimit-remaining-requests or ''  ARGV[17] x-ratelimit-reset-requests (ms) or ''
-- ARGV[18] x-ratelimit-remaining-tokens or ''  ARGV[19] x-ratelimit-reset-tokens (ms) or ''
-- ARGV[20] burst seconds  ARGV[21] pacing factor
-- Returns { grants made when the circuit opened (their running total; 0 when closed), ms it stays open }.
local key = KEYS[1]
-- @include smallest-limit
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local correction = tonumber(ARGV[2])
local outcome = ARGV[3]
if correction ~= 0 then
  redis.call('HINCRBYFLOAT', key, 't', -correction)
  redis.call('HINCRBYFLOAT', key, 'dayTokens', correction)
end
-- Limits read from the provider's headers are what it advertises: a ceiling over the configured
-- ones. They may claim more than is really available (a key shared with another app or deployment),
-- so 429s still cut below them.
if ARGV[5] ~= '' then redis.call('HSET', key, 'ceilRpm', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', key, 'ceilTpm', ARGV[6]) end
-- A probe's answer (or its failure) ends the probe: the headers, if any, now set the pace.
redis.call('HDEL', key, 'probeUntil')
if outcome == 'ok' or ARGV[5] ~= '' or ARGV[6] ~= '' then redis.call('HSET', key, 'probed', 1) end

-- The remaining/reset headers say what the provider really has left, whoever spent it.
-- @include limiter-sync
local usable = syncWithProvider(key, now, ARGV)

if outcome == 'ok' then
  redis.call('HSET', key, 'failures', 0, 'circuitUntil', 0)
  redis.call('HDEL', key, 'halfOpen', 'openedAtSeq')
  return { 0, 0 }
end
if outcome == 'rate_limited' then
  -- Every worker stops sending on this key until the provider's retry-after has passed,
  -- and the buckets start empty again so the restart is gradual.
  local untilMs = now + tonumber(ARGV[4])
  local paused = tonumber(redis.call('HGET', key, 'pausedUntil') or '0')
  if untilMs > paused then redis.call('HSET', key, 'pausedUntil', untilMs) end
  -- Slots already reserved ahead stay owed (a bucket in debt is not forgiven).
  local b = redis.call('HMGET', key, 'r', 't')
  redis.call('HSET', key, 'r', math.min(0, tonumber(b[1] or '0')), 't', math.min(0, tonumber(b[2] or '0')), 'ts', untilMs)
  -- A 429 whose remaining/reset headers were read has already drawn the buckets down to what the
  -- provider has left. Without them, or when 429s repeat within 10 s (the headers are not enough),
  -- less is available than we aim for: cut fast, at most once a second (a burst of 429s is one
  -- signal); it grows back slowly (limiter-acquire.lua).
  local h = redis.call('HMGET', key, 'learnedRpm', 'learnedTpm', 'ceilRpm', 'ceilTpm', 'cutAt', 'last429')
  redis.call('HSET', key, 'last429', now)
  local repeated = now - tonumber(h[6] or '0') < 10000
  if (not usable or repeated) and now - tonumber(h[5] or '0') >= 1000 then
    local cut = tonumber(ARGV[10])
    local rpm = smallestLimit(h[1], h[3], ARGV[11])
    local tpm = smallestLimit(h[2], h[4], ARGV[12])
    if rpm > 0 then redis.call('HSET', key, 'learnedRpm', math.max(1, rpm * cut)) end
    if tpm > 0 then redis.call('HSET', key, 'learnedTpm', math.max(1, tpm * cut)) end
    redis.call('HSET', key, 'cutAt', now)
  end
  return { 0, 0 }
end
if outcome == 'failed' then
  -- Once open, only a failed probe doubles the cooldown: a call granted before the circuit opened
  -- (in flight, or its slot reserved ahead) failing too says nothing new about the provider.
  local c = redis.call('HMGET', key, 'openedAtSeq', 'circuitUntil', 'failures')
  local seq = tonumber(ARGV[14]) or 0
  if c[1] and seq > 0 and seq <= tonumber(c[1]) then return { tonumber(c[1]), math.max(0, tonumber(c[2] or '0') - now) } end
  local failures = redis.call('HINCRBY', key, 'failures', 1)
  if failures >= tonumber(ARGV[7]) then
    local cooldown = math.min(tonumber(ARGV[9]), tonumber(ARGV[8]) * 2 ^ (failures - tonumber(ARGV[7])))
    local openedAt = tonumber(redis.call('HGET', key, 'seqR') or '0')
    redis.call('HSET', key, 'circuitUntil', now + cooldown, 'openedAtSeq', openedAt)
    redis.call('HDEL', key, 'halfOpen')
    return { openedAt, cooldown }
  end
  return { 0, 0 }
end
return { 0, 0 }
