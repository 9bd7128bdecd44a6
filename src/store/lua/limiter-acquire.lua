-- Takes one request and `tokens` tokens from a limiter key's buckets, or says how long to wait.
-- KEYS[1] limiter hash  KEYS[2] waiters (zset: ticket by priority)  KEYS[3] waiters' expiry (hash: ticket -> ms)
-- ARGV[1] unused (time comes from the Redis server, one clock for every worker)  ARGV[2] configured rpm (0 = none)  ARGV[3] configured tpm (0 = none)
-- ARGV[4] configured requests/day (0 = none)  ARGV[5] configured tokens/day (0 = none)
-- ARGV[6] tokens requested  ARGV[7] burst (seconds of budget a full bucket holds)
-- ARGV[8] pacing factor (share of the limit we aim for, e.g. 0.97)
-- ARGV[9] circuit cooldown (ms) for a half-open probe
-- ARGV[10] priority (lower goes first; 0 = takes no part in priorities)  ARGV[11] ticket id
-- ARGV[12] how far ahead (ms) a rate wait may be reserved (0: grant only now)
-- ARGV[13] 1 when the caller settles with the provider's answers (an LLM call), else 0 (a source's budget)
-- Returns { 1, slotTimeMs, waitMs, grantedRequests, grantedTokens } when granted: the caller sends at slotTimeMs
-- (now, or up to ARGV[12] later, already paid for, so it sleeps once and never asks again); the running totals of
-- grants (this one included) let settle tell which grants came after it; { 0, waitMs, reason } to wait (reason: rate, paused, circuit, day);
-- { -1, limit, 'too_large' } when the request can never fit the per-minute token budget.
-- Buckets refill continuously (per millisecond), so work is paced per second, not in per-minute bursts.
-- Effective limits are the configured ones, lowered by what the provider's headers or 429s taught us.
local key = KEYS[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local want = tonumber(ARGV[6])
local burst = tonumber(ARGV[7])
local pace = tonumber(ARGV[8])
local h = redis.call('HMGET', key, 'r', 't', 'ts', 'pausedUntil', 'learnedRpm', 'learnedTpm', 'circuitUntil',
  'failures', 'day', 'dayRequests', 'dayTokens', 'cutAt', 'ceilRpm', 'ceilTpm', 'probeUntil', 'probed',
  'realRpm', 'realTpm', 'seqR', 'seqT', 'drawnAt', 'halfOpen')

-- The limit in force is the smallest set: configured, advertised (ceil*), really enforced as the
-- remaining/reset headers show it (real*), cut by 429s (learned*).
-- @include smallest-limit
local effective = smallestLimit

-- Limits cut by 429s (the server enforces less than it says, or others share the key) grow back
-- 5% every 5 s without a 429, up to the configured and advertised ones: a sawtooth under the
-- capacity really available, that follows it when it grows again.
local cutAt = tonumber(h[12] or '0')
if cutAt > 0 and now - cutAt >= 5000 then
  local function recover(field, index, configured, ceil, real)
    local learned = tonumber(h[index] or '0')
    if learned <= 0 then return end
    local raised = learned * 1.05
    local top = effective(configured, ceil, real)
    if top > 0 and raised >= top then
      redis.call('HDEL', key, field)
      h[index] = false
    else
      redis.call('HSET', key, field, raised)
      h[index] = tostring(raised)
    end
  end
  recover('learnedRpm', 5, ARGV[2], h[13], h[17])
  recover('learnedTpm', 6, ARGV[3], h[14], h[18])
  redis.call('HSET', key, 'cutAt', now)
end

local fullTpm = effective(ARGV[3], h[6], h[14], h[18])
local rpm = effective(ARGV[2], h[5], h[13], h[17]) * pace
local tpm = fullTpm * pace
if fullTpm > 0 and want > fullTpm then return { -1, math.floor(fullTpm), 'too_large' } end

-- No limits known at all (none configured, no answer read yet): one probe call goes first, and its
-- answer's headers set the pace; the others wait for it instead of bursting into an unknown limit.
if rpm == 0 and fullTpm == 0 and tonumber(ARGV[2]) == 0 and tonumber(ARGV[3]) == 0 and not h[16] then
  local probeUntil = tonumber(h[15] or '0')
  if probeUntil > now then return { 0, math.min(probeUntil - now, 200), 'rate' } end
  redis.call('HSET', key, 'probeUntil', now + 10000)
  redis.call('PEXPIRE', key, 86400000)
  return { 1, now, '0', tonumber(h[19] or '0'), h[20] or '0' }
end

local pausedUntil = tonumber(h[4] or '0')
if pausedUntil > now then return { 0, pausedUntil - now, 'paused' } end

local circuitUntil = tonumber(h[7] or '0')
local failures = tonumber(h[8] or '0')
if circuitUntil > now then
  -- While a half-open probe is out, ask again soon: its success closes the circuit, and the others
  -- resume within 100 ms of its answer rather than at the end of the probe's hold.
  if h[22] == '1' then return { 0, math.min(circuitUntil - now, 100), 'circuit' } end
  return { 0, circuitUntil - now, 'circuit' }
end

-- Priorities: while a live waiter with a better (lower) priority is queued, later shards yield.
-- This is what makes the budget, not just worker slots, go to a new user's first batches first.
local priority = tonumber(ARGV[10])
local ticket = ARGV[11]
local ahead = tonumber(ARGV[12] or '0')
-- Until a first answer has been read, the limits are only what the config says (the provider may
-- enforce less): reserve a quarter second ahead at most, so a wrong guess costs few 429s.
if ARGV[13] == '1' and not h[16] then ahead = math.min(ahead, 250) end
-- While someone else spends on the key (the buckets were drawn down to the provider's headers in
-- the last 10 s), slots reserved far ahead would go out at a pace the provider no longer has:
-- reserve half a second ahead at most, so what the headers say takes effect within that.
if now - tonumber(h[21] or '0') < 10000 then ahead = math.min(ahead, 500) end
-- While a better-priority caller waits its turn, the others may reserve only a short way ahead, so
-- the reserved horizon drains and the better one finds a slot when it comes back.
local yielding = false
local function register(waitMs)
  if priority > 0 then
    redis.call('ZADD', KEYS[2], priority, ticket)
    redis.call('HSET', KEYS[3], ticket, now + waitMs + 500)
    redis.call('PEXPIRE', KEYS[2], 86400000)
    redis.call('PEXPIRE', KEYS[3], 86400000)
  end
end
if priority > 0 then
  while true do
    local head = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    if #head == 0 then break end
    local expires = tonumber(redis.call('HGET', KEYS[3], head[1]) or '0')
    if expires >= now then
      if tonumber(head[2]) < priority and head[1] ~= ticket then
        if ahead <= 0 then
          register(50)
          return { 0, 50, 'rate' }
        end
        yielding = true
        ahead = ahead / 4
      end
      break
    end
    -- A waiter that gave up or died: forget it.
    redis.call('ZREM', KEYS[2], head[1])
    redis.call('HDEL', KEYS[3], head[1])
  end
end

local rCap = math.max(1, rpm * burst / 60)
local tCap = math.max(1, tpm * burst / 60)
local last = tonumber(h[3] or tostring(now))
local elapsed = math.max(0, now - last)
local r = tonumber(h[1] or tostring(rCap))
local t = tonumber(h[2] or tostring(tCap))
-- Reserved slots leave the buckets in debt (negative); a full bucket holds only `burst` seconds.
if rpm > 0 then r = math.min(rCap, r + elapsed * rpm / 60000) end
if tpm > 0 then t = math.min(tCap, t + elapsed * tpm / 60000) end

-- Daily budgets reset at midnight UTC.
local day = math.floor(now / 86400000)
local dayRequests, dayTokens = 0, 0
if tonumber(h[9] or '-1') == day then
  dayRequests = tonumber(h[10] or '0')
  dayTokens = tonumber(h[11] or '0')
end
local rpd, tpd = tonumber(ARGV[4]), tonumber(ARGV[5])
if (rpd > 0 and dayRequests + 1 > rpd) or (tpd > 0 and dayTokens + want > tpd) then
  return { 0, (day + 1) * 86400000 - now, 'day' }
end

local wait = 0
if rpm > 0 and r < 1 then wait = math.max(wait, (1 - r) * 60000 / rpm) end
-- A request larger than a full bucket goes when the bucket is full, leaving it in debt.
local need = math.min(want, tCap)
if tpm > 0 and t < need then wait = math.max(wait, (need - t) * 60000 / tpm) end
if wait > ahead or (wait > 0 and ahead <= 0) then
  redis.call('HSET', key, 'r', r, 't', t, 'ts', now)
  redis.call('PEXPIRE', key, 86400000)
  -- A yielding caller is not the one others should make room for.
  if not yielding then register(math.ceil(wait)) end
  return { 0, math.ceil(wait), 'rate' }
end
wait = math.ceil(wait)

-- After an open circuit's cooldown, one caller goes through as a probe; the others wait for its answer.
if failures > 0 and circuitUntil > 0 then
  redis.call('HSET', key, 'circuitUntil', now + tonumber(ARGV[9]), 'halfOpen', 1)
end
if rpm > 0 then r = r - 1 end
if tpm > 0 then t = t - want end
local seqR = tonumber(h[19] or '0') + 1
local seqT = tonumber(h[20] or '0') + want
redis.call('HSET', key, 'r', r, 't', t, 'ts', now, 'day', day, 'dayRequests', dayRequests + 1, 'dayTokens', dayTokens + want,
  'seqR', seqR, 'seqT', seqT)
redis.call('PEXPIRE', key, 86400000)
if priority > 0 then
  redis.call('ZREM', KEYS[2], ticket)
  redis.call('HDEL', KEYS[3], ticket)
end
return { 1, now + wait, tostring(wait), seqR, tostring(seqT) }
