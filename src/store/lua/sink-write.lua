-- Idempotent upserts and deletions of source records and their documents, applied in order.
-- KEYS[1] documents hash (doc id -> JSON; written only when ARGV[1] is '1')
-- KEYS[2] hashes hash (source id -> content hash)
-- KEYS[3] docsOf hash (source id -> JSON array of its document ids)
-- KEYS[4] stats hash (records, documents currently stored)
-- ARGV[1] '1' to store document bodies (Redis sink), '0' to keep only the index (JSONL sink)
-- ARGV[2] number of entries; then per entry: sourceId, hash, docCount, docCount x (docId, docJson).
--   docCount -1 marks a deletion (hash ignored, no documents follow).
-- Returns { written, unchanged, deleted }. An upsert whose hash is already stored is not written
-- again; an upsert removes the ids its record no longer yields; a deletion removes every document,
-- the hash and the index entry, and counts only if the record was stored.
local bodies = ARGV[1] == '1'
local n = tonumber(ARGV[2])
local written, unchanged, deleted, records, documents = 0, 0, 0, 0, 0

local function previousIds(sourceId)
  local json = redis.call('HGET', KEYS[3], sourceId)
  if json then return cjson.decode(json) end
  return {}
end

local function removeDocuments(ids, keep)
  if not bodies then return end
  for _, id in ipairs(ids) do
    if not keep[id] then redis.call('HDEL', KEYS[1], id) end
  end
end

local at = 3
for _ = 1, n do
  local sourceId, hash, count = ARGV[at], ARGV[at + 1], tonumber(ARGV[at + 2])
  if count < 0 then
    local old = previousIds(sourceId)
    removeDocuments(old, {})
    documents = documents - #old
    redis.call('HDEL', KEYS[3], sourceId)
    if redis.call('HDEL', KEYS[2], sourceId) == 1 then
      deleted = deleted + 1
      records = records - 1
    end
    at = at + 3
  else
    local stored = redis.call('HGET', KEYS[2], sourceId)
    if stored == hash then
      unchanged = unchanged + 1
    else
      written = written + 1
      if not stored then records = records + 1 end
      local keep, ids = {}, {}
      for d = 0, count - 1 do
        local id = ARGV[at + 3 + d * 2]
        if not keep[id] then
          keep[id] = true
          ids[#ids + 1] = id
        end
        if bodies then redis.call('HSET', KEYS[1], id, ARGV[at + 4 + d * 2]) end
      end
      local old = previousIds(sourceId)
      removeDocuments(old, keep)
      documents = documents + #ids - #old
      redis.call('HSET', KEYS[2], sourceId, hash)
      -- cjson encodes an empty table as an object; the index always holds an array.
      redis.call('HSET', KEYS[3], sourceId, #ids > 0 and cjson.encode(ids) or '[]')
    end
    at = at + 3 + count * 2
  end
end
if records ~= 0 then redis.call('HINCRBY', KEYS[4], 'records', records) end
if documents ~= 0 then redis.call('HINCRBY', KEYS[4], 'documents', documents) end
return { written, unchanged, deleted }
