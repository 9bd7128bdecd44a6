-- Appends a progress event to a user's stream and, for run events, updates the user's snapshot.
-- KEYS[1] events stream   KEYS[2] snapshot hash (runId -> run JSON, seq:runId -> seq)
-- ARGV[1] runId  ARGV[2] seq (0 for item events)  ARGV[3] event JSON
-- ARGV[4] run snapshot JSON, or '' for item events  ARGV[5] stream length bound
-- ARGV[6] runs a user's snapshot keeps (the oldest finished ones go first)
-- Returns the stream id, or false when a newer state of the run was already published:
-- events from many workers can race, but a reader never sees a run's counts go backwards.
if ARGV[4] ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[2], 'seq:' .. ARGV[1]) or '0')
  if last >= tonumber(ARGV[2]) then return false end
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[4], 'seq:' .. ARGV[1], ARGV[2])
  -- Each run is two fields; prune only when well over the bound, so the sort below stays rare.
  local keep = tonumber(ARGV[6])
  if redis.call('HLEN', KEYS[2]) > 4 * keep then
    local runs = {}
    for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
      if string.sub(field, 1, 4) ~= 'seq:' then runs[#runs + 1] = field end
    end
    -- Run ids start with their start time in base 36: sorting them sorts by age.
    table.sort(runs)
    local excess = #runs - keep
    for i = 1, #runs do
      if excess <= 0 then break end
      local run = redis.call('HGET', KEYS[2], runs[i])
      if run and not string.find(run, '"status":"running"', 1, true) then
        redis.call('HDEL', KEYS[2], runs[i], 'seq:' .. runs[i])
        excess = excess - 1
      end
    end
  end
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*', 'e', ARGV[3])
