-- Appends a progress event to a user's stream and, for run events, updates the user's snapshot.
-- KEYS[1] events stream   KEYS[2] snapshot hash (runId -> run JSON, seq:runId -> seq)
-- ARGV[1] runId  ARGV[2] seq (0 for item events)  ARGV[3] event JSON
-- ARGV[4] run snapshot JSON, or '' for item events  ARGV[5] stream length bound
-- Returns the stream id, or false when a newer state of the run was already published:
-- events from many workers can race, but a reader never sees a run's counts go backwards.
if ARGV[4] ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[2], 'seq:' .. ARGV[1]) or '0')
  if last >= tonumber(ARGV[2]) then return false end
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4], 'seq:' .. ARGV[1], ARGV[2])
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[3])
