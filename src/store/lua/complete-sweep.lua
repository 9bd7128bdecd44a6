-- Records a full listing's sweep once (its deletions are already in the sink): counts them, makes
-- what this run saw the source's members (a copy), and completes the run when it was the last shard.
-- KEYS[1] state  KEYS[2] pending  KEYS[3] done  KEYS[4] seen set  KEYS[5] members set
-- KEYS[6] active run  KEYS[7] sync hash  KEYS[8] failures list  KEYS[9] pages
-- ARGV[1] runId  ARGV[2] sweep shard id ('s0sweep')  ARGV[3] records deleted  ARGV[4] now
-- Returns { outcome, snapshot... }: 0 = already counted or run over, 1 = counted, 2 = counted and run completed.
-- @include run-snapshot
-- @include finish-if-drained
-- @include expire-run
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]) } end
if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return { 0, runSnapshot(KEYS[1]) } end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[1], 'deleted', tonumber(ARGV[3])) end
-- A copy, not a rename: `seen` stays until the run expires, so a sweep job that runs again after
-- this (a stalled job) finds members - seen empty instead of deleting every member.
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('SUNIONSTORE', KEYS[5], KEYS[4])
else
  redis.call('DEL', KEYS[5])
end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
local finished = finishIfDrained(KEYS[1], KEYS[2], KEYS[6], KEYS[7], ARGV[1], ARGV[4])
if finished == 1 then expireRun({ KEYS[1], KEYS[2], KEYS[3], KEYS[8], KEYS[9] }) end
return { 1 + finished, runSnapshot(KEYS[1]) }
