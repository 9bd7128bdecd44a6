-- Adds LLM usage to a run the moment it is paid, whatever then happens to the batch that paid it
-- (a batch re-queued after a long wait is retried from the cache and must not lose its cost).
-- KEYS[1] run state hash
-- ARGV[1] prompt tokens  ARGV[2] completion tokens  ARGV[3] cost (micro USD)  ARGV[4] paid calls  ARGV[5] cached calls
-- Returns 1, or 0 when the run is gone (expired): no orphan hash is created.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local fields = { 'promptTokens', 'completionTokens', 'costMicros', 'llmCalls', 'cachedCalls' }
for i, field in ipairs(fields) do
  if ARGV[i] ~= '0' then redis.call('HINCRBY', KEYS[1], field, tonumber(ARGV[i])) end
end
return 1
