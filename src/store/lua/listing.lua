-- Shared: bookkeeping of a source's listing, for mark and sweep.
-- `open:<source>` counts the source's pages registered but not completed: the first page at start,
-- +1 for each page a page registers (its next page, its forks), -1 when a page completes. The one
-- counter every kind of page registration goes through. At 0 the listing is finished.
-- `dirty:<source>` is set when any page of the listing reported item failures.
-- Returns the open count, or -1 for a run started without the counter (it never sweeps).
local function listingPageDone(stateKey, source, registered, failures)
  if failures > 0 then redis.call('HSET', stateKey, 'dirty:' .. source, 1) end
  if redis.call('HEXISTS', stateKey, 'open:' .. source) == 0 then return -1 end
  return redis.call('HINCRBY', stateKey, 'open:' .. source, registered - 1)
end

-- A finished full listing: a clean one becomes a pending sweep shard ('<source>sweep'), which
-- deletes members - seen and then sets members := seen; a dirty one only adds what it saw to the
-- members (it cannot tell a missing record from one it failed to list) and deletes nothing.
local function closeListing(stateKey, pendingKey, doneKey, seenKey, membersKey, source)
  if redis.call('HEXISTS', stateKey, 'dirty:' .. source) == 1 then
    if redis.call('EXISTS', seenKey) == 1 then redis.call('SUNIONSTORE', membersKey, membersKey, seenKey) end
    redis.call('DEL', seenKey)
  elseif redis.call('SISMEMBER', doneKey, source .. 'sweep') == 0 then
    redis.call('SADD', pendingKey, source .. 'sweep')
  end
end
