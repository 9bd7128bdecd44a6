-- Cancels a running run once: it ends `cancelled` with the counts it has, nothing stays pending,
-- the user may start the pipeline again, and workers holding its shards are told to abort them.
-- KEYS[1] state  KEYS[2] active run  KEYS[3] pending  KEYS[4..] the run's other keys (expire with it)
-- ARGV[1] runId  ARGV[2] now  ARGV[3] cancel channel  ARGV[4] message (the run's state key)
-- Returns { 1, snapshot... } when this call cancelled the run, { 0, snapshot... } when it was already over
-- (or never existed: the snapshot's status is then empty).
-- @include run-snapshot
-- @include expire-run
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]) } end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finishedAt', ARGV[2])
redis.call('HDEL', KEYS[1], 'waiting')
redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('DEL', KEYS[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
local runKeys = { KEYS[1] }
for i = 4, #KEYS do runKeys[#runKeys + 1] = KEYS[i] end
expireRun(runKeys)
-- In the script, so a run is never cancelled without its workers hearing of it.
redis.call('PUBLISH', ARGV[3], ARGV[4])
return { 1, runSnapshot(KEYS[1]) }
