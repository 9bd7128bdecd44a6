import type { RedisClient } from '../store/redis.js';
import type { KeyBuilder } from '../store/keys.js';
import type { StoredDocument } from './sink-store.js';

/** Reads every document the Redis sink holds for a pipeline and user. */
export async function readDocuments<T = unknown>(
  redis: RedisClient,
  keys: KeyBuilder,
  pipelineId: string,
  userId: string,
): Promise<StoredDocument<T>[]> {
  const key = keys.sink(pipelineId, userId).documents;
  const documents: StoredDocument<T>[] = [];
  let cursor = '0';
  do {
    const [next, flat] = await redis.hscan(key, cursor, 'COUNT', 500);
    for (let i = 1; i < flat.length; i += 2) documents.push(JSON.parse(flat[i]!) as StoredDocument<T>);
    cursor = next;
  } while (cursor !== '0');
  return documents.sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function countDocuments(redis: RedisClient, keys: KeyBuilder, pipelineId: string, userId: string): Promise<number> {
  return redis.hlen(keys.sink(pipelineId, userId).documents);
}
