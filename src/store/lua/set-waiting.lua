-- Records what a running run waits on (JSON), unless it already says the same thing and that wait
-- has not ended yet (a shard that hits the same limit again after its reset moves `until` on).
-- KEYS[1] run state  ARGV[1] waiting JSON  ARGV[2] now (ISO, the format of `until`)
-- ARGV[3] when the wait was learned (epoch ms) or ''
-- Returns { 1, snapshot... } when it changed, { 0 } otherwise.
-- @include run-snapshot
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0 } end
-- A wait learned before a paid answer on its key (a refusal racing the probe that closed a circuit)
-- is over already: recording it now would show the provider unavailable after it answered.
if ARGV[3] ~= '' then
  local answered = redis.call('HGET', KEYS[1], 'answered:' .. (string.match(ARGV[1], '"on":"([^"]*)"') or ''))
  if answered and tonumber(answered) >= tonumber(ARGV[3]) then return { 0 } end
end
local current = redis.call('HGET', KEYS[1], 'waiting')
if current then
  local on = string.match(current, '"on":"([^"]*)"')
  local reason = string.match(current, '"reason":"([^"]*)"')
  local ends = string.match(current, '"until":"([^"]*)"')
  local newOn = string.match(ARGV[1], '"on":"([^"]*)"')
  local newReason = string.match(ARGV[1], '"reason":"([^"]*)"')
  if on == newOn and reason == newReason and ends and ends > ARGV[2] then return { 0 } end
end
redis.call('HSET', KEYS[1], 'waiting', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'seq', 1)
return { 1, runSnapshot(KEYS[1]) }
