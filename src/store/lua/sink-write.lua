-- Idempotent upsert of a batch of source records and their documents.
-- KEYS[1] documents hash (doc id -> JSON)   KEYS[2] hashes hash (source id -> content hash)
-- KEYS[3] stats hash (records, documents written)
-- ARGV[1] number of entries; then per entry: sourceId, hash, docCount, docCount x (docId, docJson)
-- Returns { written, unchanged }. An entry whose hash is already stored is not written again.
local n = tonumber(ARGV[1])
local ids, entries = {}, {}
local at = 2
for i = 1, n do
  local count = tonumber(ARGV[at + 2])
  ids[i] = ARGV[at]
  entries[i] = { at = at, count = count }
  at = at + 3 + count * 2
end
local stored = redis.call('HMGET', KEYS[2], unpack(ids))
local docArgs, hashArgs = {}, {}
local written, unchanged, documents = 0, 0, 0
for i = 1, n do
  local e = entries[i]
  local hash = ARGV[e.at + 1]
  if stored[i] == hash then
    unchanged = unchanged + 1
  else
    written = written + 1
    hashArgs[#hashArgs + 1] = ids[i]
    hashArgs[#hashArgs + 1] = hash
    for d = 0, e.count - 1 do
      docArgs[#docArgs + 1] = ARGV[e.at + 3 + d * 2]
      docArgs[#docArgs + 1] = ARGV[e.at + 4 + d * 2]
    end
    documents = documents + e.count
  end
end
if #docArgs > 0 then redis.call('HSET', KEYS[1], unpack(docArgs)) end
if #hashArgs > 0 then
  redis.call('HSET', KEYS[2], unpack(hashArgs))
  redis.call('HINCRBY', KEYS[3], 'records', written)
  if documents > 0 then redis.call('HINCRBY', KEYS[3], 'documents', documents) end
end
return { written, unchanged }
