import type { RedisClient } from '../store/redis.js';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';
import { isDeletion, type IndexedRecord, type SinkDocument, type SinkEntry, type SinkUpsert, type SinkWriteResult } from './types.js';

/**
 * The Redis state every sink keeps per pipeline and user: each source record's content hash and the
 * ids of the documents it yielded (so a shrunk or deleted record's leftovers can be removed), plus
 * stats of what is stored. All Redis access of the sinks goes through these few functions.
 */
export type SinkKeys = ReturnType<KeyBuilder['sink']>;



/** Ids among `entries` whose stored hash differs. */
export async function changedSourceIds(
  redis: RedisClient,
  keys: SinkKeys,
  entries: readonly { sourceId: string; hash: string }[],
): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const stored = await redis.hmget(keys.hashes, ...entries.map((e) => e.sourceId));
  return new Set(entries.filter((e, i) => stored[i] !== e.hash).map((e) => e.sourceId));
}

/** Reads the hash and document ids of each source id, in order. */
export async function readIndex(redis: RedisClient, keys: SinkKeys, sourceIds: readonly string[]): Promise<IndexedRecord[]> {
  if (sourceIds.length === 0) return [];
  const [hashes, docs] = (await redis.multi().hmget(keys.hashes, ...sourceIds).hmget(keys.docsOf, ...sourceIds).exec()) ?? [];
  if (hashes?.[0] || docs?.[0]) throw hashes?.[0] ?? docs?.[0];
  const hashValues = hashes![1] as (string | null)[];
  const docValues = docs![1] as (string | null)[];
  return sourceIds.map((_, i) => ({
    hash: hashValues[i] ?? null,
    documentIds: docValues[i] ? (JSON.parse(docValues[i]!) as string[]) : [],
  }));
}

/**
 * Applies a batch of upserts and deletions to the index (and, when `body` is given, stores each
 * document's body in the documents hash) in one atomic script.
 */
export async function commitEntries<T>(
  redis: RedisClient,
  keys: SinkKeys,
  entries: readonly SinkEntry<T>[],
  body?: (entry: SinkUpsert<T>, doc: SinkDocument<T>) => string,
): Promise<SinkWriteResult> {
  if (entries.length === 0) return { written: 0, unchanged: 0, deleted: 0 };
  const args: (string | number)[] = [body ? '1' : '0', entries.length];
  for (const entry of entries) {
    if (isDeletion(entry)) {
      args.push(entry.sourceId, '', -1);
      continue;
    }
    args.push(entry.sourceId, entry.hash, entry.documents.length);
    for (const doc of entry.documents) args.push(doc.id, body ? body(entry, doc) : '');
  }
  const [written, unchanged, deleted] = await runScript<[number, number, number]>(
    redis,
    'sink-write',
    [keys.documents, keys.hashes, keys.docsOf, keys.stats],
    args,
  );
  return { written, unchanged, deleted };
}
