-- Moves a running run's seq on, so an event about it that changes no count (the reconciler re-queued
-- its lost shards) is newer than the last one published.
-- KEYS[1] state
-- Returns { 1, snapshot... } for a running run, { 0, snapshot... } otherwise.
-- @include run-snapshot
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]) } end
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return { 1, runSnapshot(KEYS[1]) }
