-- Starts a run unless one of the same pipeline is already running for the user.
-- KEYS[1] active run key  KEYS[2] new run state  KEYS[3] new run pending set  KEYS[4] sync hash
-- ARGV[1] runId  ARGV[2] pipeline  ARGV[3] user  ARGV[4] now (ISO)  ARGV[5] source count
-- ARGV[6] input JSON  ARGV[7] state key prefix (state key = prefix .. runId)  ARGV[8] connection id or ''
-- Returns { 1, runId } for a new run, { 0, runId, pendingFirstPages... } for the running one:
-- the caller re-adds those first pages in case the process that started it died before enqueueing.
local existing = redis.call('GET', KEYS[1])
if existing then
  local existingState = ARGV[7] .. existing
  if redis.call('HGET', existingState, 'status') == 'running' then
    local result = { 0, existing }
    local sources = tonumber(redis.call('HGET', existingState, 'sources') or '0')
    for i = 0, sources - 1 do
      local page = 's' .. i .. 'p0'
      if redis.call('SISMEMBER', existingState .. ':pending', page) == 1 then result[#result + 1] = page end
    end
    return result
  end
end
local sources = tonumber(ARGV[5])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'status', 'running', 'pipeline', ARGV[2], 'user', ARGV[3], 'startedAt', ARGV[4],
  'seq', 1, 'discovered', 0, 'processed', 0, 'skipped', 0, 'failed', 0, 'written', 0,
  'totalSum', 0, 'totalKnown', 0, 'sources', sources, 'input', ARGV[6])
for i = 0, sources - 1 do
  local since = redis.call('HGET', KEYS[4], 's' .. i)
  if since then redis.call('HSET', KEYS[2], 'since:s' .. i, since) end
  redis.call('SADD', KEYS[3], 's' .. i .. 'p0')
  -- The first page is the listing's first open page (see listing.lua).
  redis.call('HSET', KEYS[2], 'open:s' .. i, 1)
end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'connection', ARGV[8]) end
return { 1, ARGV[1] }
