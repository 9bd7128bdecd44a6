-- Takes one of a user's active-run slots for a run about to start, atomically: two starts at once
-- cannot both pass the cap. Running runs are read from the user's snapshot; runs being started
-- (not yet in it) hold a reservation until the caller releases it or it expires.
-- KEYS[1] the user's snapshot hash  KEYS[2] the user's reservations hash (pipeline id -> expiry ms)
-- ARGV[1] pipeline id  ARGV[2] cap  ARGV[3] now (ms)  ARGV[4] reservation lifetime (ms)
-- Returns { 1 } when the run may start (a new slot, or one of this pipeline already going),
-- { 0, active } when the user is at the cap.
local now, pipeline = tonumber(ARGV[3]), ARGV[1]
local active, count = {}, 0
local snapshot = redis.call('HGETALL', KEYS[1])
for i = 1, #snapshot, 2 do
  if string.sub(snapshot[i], 1, 4) ~= 'seq:' then
    local ok, run = pcall(cjson.decode, snapshot[i + 1])
    if ok and type(run) == 'table' and run.status == 'running' and run.pipeline and not active[run.pipeline] then
      active[run.pipeline] = true
      count = count + 1
    end
  end
end
local starting = redis.call('HGETALL', KEYS[2])
for i = 1, #starting, 2 do
  if tonumber(starting[i + 1]) <= now then
    redis.call('HDEL', KEYS[2], starting[i])
  elseif not active[starting[i]] then
    active[starting[i]] = true
    count = count + 1
  end
end
if active[pipeline] then return { 1 } end
if count >= tonumber(ARGV[2]) then return { 0, count } end
redis.call('HSET', KEYS[2], pipeline, now + tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
return { 1 }
