-- Shared: reads the fields of a run's state hash that a progress event needs, as a flat array.
local function runSnapshot(stateKey)
  return redis.call('HMGET', stateKey, 'status', 'seq', 'discovered', 'processed', 'skipped', 'failed', 'written',
    'totalSum', 'totalKnown', 'sources', 'startedAt', 'finishedAt', 'error', 'pipeline', 'user', 'promptTokens', 'completionTokens', 'costMicros', 'waiting', 'deleted', 'llmCalls', 'cachedCalls')
end
