-- Adds LLM usage to a run the moment it is paid, whatever then happens to the batch that paid it
-- (a batch re-queued after a long wait is retried from the cache and must not lose its cost).
-- A paid call also proves its provider answers: a wait the run shows on that limiter key (provider
-- unavailable, its rate limit, a call in flight) is over at once, not when its `until` passes.
-- KEYS[1] run state hash
-- ARGV[1] prompt tokens  ARGV[2] completion tokens  ARGV[3] cost (micro USD)  ARGV[4] paid calls  ARGV[5] cached calls
-- ARGV[6] the limiter key that answered, or ''  ARGV[7] the reason of a wait an answer does not end (a call in
-- flight: another call's answer says nothing of it), or '' to end any wait on the key  ARGV[8] now (epoch ms): a paid
-- answer's time is kept per key, so a wait learned before it is not recorded after it (set-waiting.lua)
-- Returns { 1 } when added, { 2, snapshot... } when added and a wait was cleared, { 0 } when the run is gone
-- (expired): no orphan hash is created.
-- @include run-snapshot
if redis.call('EXISTS', KEYS[1]) == 0 then return { 0 } end
local fields = { 'promptTokens', 'completionTokens', 'costMicros', 'llmCalls', 'cachedCalls' }
for i, field in ipairs(fields) do
  if ARGV[i] ~= '0' then redis.call('HINCRBY', KEYS[1], field, tonumber(ARGV[i])) end
end
if ARGV[6] ~= '' and redis.call('HGET', KEYS[1], 'status') == 'running' then
  if ARGV[4] ~= '0' then redis.call('HSET', KEYS[1], 'answered:' .. ARGV[6], ARGV[8]) end
  local current = redis.call('HGET', KEYS[1], 'waiting')
  if current and string.match(current, '"on":"([^"]*)"') == ARGV[6] and (ARGV[7] == '' or string.match(current, '"reason":"([^"]*)"') ~= ARGV[7]) then
    redis.call('HDEL', KEYS[1], 'waiting')
    redis.call('HINCRBY', KEYS[1], 'seq', 1)
    return { 2, runSnapshot(KEYS[1]) }
  end
end
return { 1 }
