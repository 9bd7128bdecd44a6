-- Counts a processed batch once, even if its job ran twice, and completes the run when it was the last shard.
-- KEYS[1] state  KEYS[2] pending  KEYS[3] done  KEYS[4] failures list  KEYS[5] active run  KEYS[6] sync hash
-- KEYS[7] pages
-- ARGV[1] runId  ARGV[2] batchId  ARGV[3] processed  ARGV[4] skipped  ARGV[5] failed  ARGV[6] written
-- ARGV[7] now  ARGV[8] prompt tokens  ARGV[9] completion tokens  ARGV[10] cost (micro USD)
-- ARGV[11] source records deleted  ARGV[12..] failure lines
-- Returns { outcome, snapshot... }: 0 = already counted or run over, 1 = counted, 2 = counted and run completed.
-- @include run-snapshot
-- @include finish-if-drained
-- @include expire-run
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]) } end
if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return { 0, runSnapshot(KEYS[1]) } end
redis.call('HINCRBY', KEYS[1], 'processed', tonumber(ARGV[3]))
redis.call('HINCRBY', KEYS[1], 'skipped', tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[1], 'failed', tonumber(ARGV[5]))
redis.call('HINCRBY', KEYS[1], 'written', tonumber(ARGV[6]))
if ARGV[8] ~= '0' then redis.call('HINCRBY', KEYS[1], 'promptTokens', tonumber(ARGV[8])) end
if ARGV[9] ~= '0' then redis.call('HINCRBY', KEYS[1], 'completionTokens', tonumber(ARGV[9])) end
if ARGV[10] ~= '0' then redis.call('HINCRBY', KEYS[1], 'costMicros', tonumber(ARGV[10])) end
if ARGV[11] ~= '0' then redis.call('HINCRBY', KEYS[1], 'deleted', tonumber(ARGV[11])) end
for i = 12, #ARGV do redis.call('LPUSH', KEYS[4], ARGV[i]) end
if #ARGV >= 12 then redis.call('LTRIM', KEYS[4], 0, 49) end
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
local finished = finishIfDrained(KEYS[1], KEYS[2], KEYS[5], KEYS[6], ARGV[1], ARGV[7])
if finished == 1 then expireRun({ KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[7] }) end
return { 1 + finished, runSnapshot(KEYS[1]) }
