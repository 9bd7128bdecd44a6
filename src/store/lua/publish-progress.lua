-- Appends a progress event to a user's stream and, for run events, updates the user's snapshot.
-- KEYS[1] events stream   KEYS[2] snapshot hash (runId -> run JSON, seq:runId -> seq)
-- KEYS[3] the user's copy of the state marker (see src/store/epoch.ts)
-- ARGV[1] runId  ARGV[2] seq (0 for item events)  ARGV[3] event JSON
-- ARGV[4] run snapshot JSON, or '' for item events  ARGV[5] stream length bound
-- ARGV[6] runs a user's snapshot keeps (the oldest finished ones go first)
-- ARGV[7] the state marker the publisher works under, or '' (no check)  ARGV[8] '1' for a run.started event, or to stamp the marker for a run whose state Redis holds
-- Returns the stream id; false when a newer state of the run was already published (events from
-- many workers can race, but a reader never sees a run's counts go backwards); 0 when the event
-- belongs to state Redis no longer has: the user's progress was written under another marker, or
-- is gone. A run.started event sets the user's marker; any other event must find its own, so a late
-- event from before Redis lost its data never brings back a ghost run.
if ARGV[7] ~= '' then
  local marker = redis.call('GET', KEYS[3])
  if ARGV[8] == '1' then
    if marker ~= ARGV[7] then redis.call('SET', KEYS[3], ARGV[7]) end
  elseif marker ~= ARGV[7] then
    -- Progress written before markers existed has no marker but a snapshot: it is adopted.
    if marker or redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
    redis.call('SET', KEYS[3], ARGV[7])
  end
end
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
