-- Records a discovered page: registers its batches, the next page and its forks as pending,
-- checkpoints the cursor, and removes the page itself from pending, atomically. Safe to repeat after a crash.
-- KEYS[1] state  KEYS[2] pending  KEYS[3] done  KEYS[4] pages (pageId -> batch count)
-- KEYS[5] failures list  KEYS[6] active run  KEYS[7] sync hash
-- KEYS[8] seen set of the source (this run)  KEYS[9] members set of the source (last listing)
-- ARGV[1] runId  ARGV[2] pageId  ARGV[3] batch count  ARGV[4] next pageId or ''  ARGV[5] source ('s0')
-- ARGV[6] next cursor or ''  ARGV[7] records discovered  ARGV[8] unchanged (304)  ARGV[9] failed items
-- ARGV[10] total or ''  ARGV[11] watermark or ''  ARGV[12] now
-- ARGV[13] '1' when the source is a full listing  ARGV[14] watermark order key (a number) or ''
-- ARGV[15] fork count  ARGV[16] bytes of the page's record data  ARGV[17] the forks' cursors (JSON array)
-- ARGV[18..] failure lines
-- Fork i of page P is the first page of its own chain: P .. 'f' .. i .. 'p0' (see chainPageId in jobs.ts).
-- Each registered page's cursor is kept in the pages hash (`cursor:<pageId>`), so a page whose job
-- was lost can be queued again (the reconciler).
-- Returns { outcome, snapshot, ordinal, sweep, bytes, done }: outcome 0 = run not running, 1 = recorded, 2 = recorded and run completed;
-- ordinal = how many batches the run had before this page's (its batches are ordinal, ordinal+1, ...), kept on retries;
-- sweep = 1 when the source's sweep shard is pending (the caller enqueues it; re-adding is a no-op);
-- bytes = the run's record data so far (counted once per page, like `discovered`), for runs.maxBytesPerRun;
-- done = the page's batches, next page and forks already done (a page read again): not to be queued again.
-- @include run-snapshot
-- @include finish-if-drained
-- @include expire-run
-- @include listing
if redis.call('HGET', KEYS[1], 'status') ~= 'running' then return { 0, runSnapshot(KEYS[1]), 0, 0, 0, {} } end
local alreadyDone = {}
local function register(id)
  if redis.call('SISMEMBER', KEYS[3], id) == 1 then
    alreadyDone[#alreadyDone + 1] = id
    return false
  end
  return true
end
local pageId, batches = ARGV[2], tonumber(ARGV[3])
local previous = redis.call('HGET', KEYS[4], pageId)
local ordinal
if not previous then
  ordinal = redis.call('HINCRBY', KEYS[1], 'batches', batches) - batches
  redis.call('HSET', KEYS[4], pageId .. ':ordinal', ordinal)
  redis.call('HINCRBY', KEYS[1], 'discovered', tonumber(ARGV[7]) + tonumber(ARGV[8]))
  redis.call('HINCRBY', KEYS[1], 'skipped', tonumber(ARGV[8]))
  redis.call('HINCRBY', KEYS[1], 'failed', tonumber(ARGV[9]))
  redis.call('HINCRBY', KEYS[1], 'bytes', tonumber(ARGV[16]))
  if ARGV[10] ~= '' then
    redis.call('HINCRBY', KEYS[1], 'totalSum', tonumber(ARGV[10]))
    redis.call('HINCRBY', KEYS[1], 'totalKnown', 1)
  end
  for i = 18, #ARGV do redis.call('LPUSH', KEYS[5], ARGV[i]) end
  if #ARGV >= 18 then redis.call('LTRIM', KEYS[5], 0, 49) end
else
  ordinal = tonumber(redis.call('HGET', KEYS[4], pageId .. ':ordinal') or '0')
  -- A retry read the page again and got fewer batches: forget the ones that will never come.
  for i = batches, tonumber(previous) - 1 do redis.call('SREM', KEYS[2], pageId .. 'b' .. i) end
end
redis.call('HSET', KEYS[4], pageId, batches)
for i = 0, batches - 1 do
  local id = pageId .. 'b' .. i
  if register(id) then redis.call('SADD', KEYS[2], id) end
end
if ARGV[4] ~= '' and register(ARGV[4]) then
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('HSET', KEYS[4], 'cursor:' .. ARGV[4], ARGV[6])
end
local forkCursors = cjson.decode(ARGV[17])
-- >>> forks: other cursors of this stream, each the first page of its own chain. Ids depend only
-- on the fork's position, so a page read twice registers the same ones; a retry that got fewer
-- forks forgets the rest. Each fork registered counts as an outstanding page of its source.
local forks = tonumber(ARGV[15])
local previousForks = tonumber(redis.call('HGET', KEYS[4], pageId .. ':forks') or '0')
-- A run started without the open-page counter never sweeps; forks do not create the counter.
local counted = redis.call('HEXISTS', KEYS[1], 'open:' .. ARGV[5]) == 1
for i = 0, forks - 1 do
  local id = pageId .. 'f' .. i .. 'p0'
  if register(id) then
    redis.call('HSET', KEYS[4], 'cursor:' .. id, forkCursors[i + 1] or '')
    if redis.call('SADD', KEYS[2], id) == 1 and counted then redis.call('HINCRBY', KEYS[1], 'open:' .. ARGV[5], 1) end
  end
end
for i = forks, previousForks - 1 do
  if redis.call('SREM', KEYS[2], pageId .. 'f' .. i .. 'p0') == 1 and counted then redis.call('HINCRBY', KEYS[1], 'open:' .. ARGV[5], -1) end
end
redis.call('HSET', KEYS[4], pageId .. ':forks', forks)
-- <<< forks
-- Listing bookkeeping, once per page and after its forks counted: this page is done, its next page
-- is open; at 0 open pages a full listing is finished.
if not previous then
  local registered = 0
  if ARGV[4] ~= '' then registered = 1 end
  local open = listingPageDone(KEYS[1], ARGV[5], registered, tonumber(ARGV[9]))
  if open == 0 and ARGV[13] == '1' then closeListing(KEYS[1], KEYS[2], KEYS[3], KEYS[8], KEYS[9], ARGV[5]) end
end
redis.call('HSET', KEYS[1], 'cursor:' .. ARGV[5], ARGV[6])
-- Watermarks compare by their order key (epoch ms, or the integer itself), computed by the caller;
-- the original string is what the next run gets as `since`.
if ARGV[11] ~= '' then
  local current = tonumber(redis.call('HGET', KEYS[1], 'wmkey:' .. ARGV[5]) or '')
  if not current or tonumber(ARGV[14]) > current then
    redis.call('HSET', KEYS[1], 'wm:' .. ARGV[5], ARGV[11], 'wmkey:' .. ARGV[5], ARGV[14])
  end
end
redis.call('SADD', KEYS[3], pageId)
redis.call('SREM', KEYS[2], pageId)
redis.call('HINCRBY', KEYS[1], 'seq', 1)
local sweep = redis.call('SISMEMBER', KEYS[2], ARGV[5] .. 'sweep')
local finished = finishIfDrained(KEYS[1], KEYS[2], KEYS[6], KEYS[7], ARGV[1], ARGV[12])
if finished == 1 then expireRun({ KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5] }) end
return { 1 + finished, runSnapshot(KEYS[1]), ordinal, sweep, tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0'), alreadyDone }
