-- Fails a running run once (a revoked credential, a page out of attempts).
-- KEYS[1] state  KEYS[2] active run  KEYS[3..] the run's other keys (expire with it)
-- ARGV[1] runId  ARGV[2] reason  ARGV[3] now
-- Returns { 1, snapshot... } when this call failed the run, { 0, snapshot... } when it was already over.
-- @include run-snapshot
-- @include expire-run
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]) } end
redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[2], 'finishedAt', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
local runKeys = { KEYS[1] }
for i = 3, #KEYS do runKeys[#runKeys + 1] = KEYS[i] end
expireRun(runKeys)
return { 1, runSnapshot(KEYS[1]) }
