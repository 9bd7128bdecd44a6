-- Shared: completes a run when no shard is pending. Only the call that flips the status from
-- 'running' returns 1, so completion is detected exactly once however many workers race.
-- On completion the run's watermarks become the pipeline's sync cursors for the next run.
local function finishIfDrained(stateKey, pendingKey, activeKey, syncKey, runId, now)
  if redis.call('SCARD', pendingKey) > 0 then return 0 end
  if redis.call('HGET', stateKey, 'status') ~= 'running' then return 0 end
  redis.call('HSET', stateKey, 'status', 'completed', 'finishedAt', now)
  redis.call('HINCRBY', stateKey, 'seq', 1)
  local flat = redis.call('HGETALL', stateKey)
  for i = 1, #flat, 2 do
    if string.sub(flat[i], 1, 3) == 'wm:' then redis.call('HSET', syncKey, string.sub(flat[i], 4), flat[i + 1]) end
  end
  if redis.call('GET', activeKey) == runId then redis.call('DEL', activeKey) end
  return 1
end
