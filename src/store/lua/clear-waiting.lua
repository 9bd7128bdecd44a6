-- Clears what a run waits on once that wait is over and its work moved on: a shard completed after
-- the wait's end. Work finishing during the wait (batches read before a source's limit) keeps it.
-- KEYS[1] run state  ARGV[1] now (ISO, the format of `until`)
-- Returns { 1, snapshot... } when it cleared the wait, { 0 } otherwise.
-- @include run-snapshot
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0 } end
local current = redis.call('HGET', KEYS[1], 'waiting')
if not current then return { 0 } end
local ends = string.match(current, '"until":"([^"]*)"')
if ends and ends > ARGV[1] then return { 0 } end
redis.call('HDEL', KEYS[1], 'waiting')
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return { 1, runSnapshot(KEYS[1]) }
