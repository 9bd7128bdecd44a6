import type { Redis } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';
import type { SinkEntry, SinkScope, SinkWriteResult } from './types.js';

/** A document as the Redis sink stores it. */
export interface StoredDocument<T = unknown> {
  id: string;
  sourceId: string;
  hash: string;
  value: T;
  updatedAt: string;
}

/** The built-in Redis sink's own store for one scope: documents, hashes and counts in one script call. */
export interface RedisDocuments {
  write(entries: readonly SinkEntry<unknown>[]): Promise<SinkWriteResult>;
}

/**
 * Where a scope made by the runtime carries the Redis sink's store. `Symbol.for`, because a config
 * file is loaded as its own module graph: its `redisSink()` must find the runtime's key.
 */
export const REDIS_DOCUMENTS = Symbol.for('sluice.sink.redisDocuments');

export type RuntimeSinkScope = SinkScope & { readonly [REDIS_DOCUMENTS]: RedisDocuments };

/** Opens sink scopes over Sluice's Redis: the only place sink keys are used. */
export function createSinkStore(redis: Redis, keys: KeyBuilder) {
  return {
    scope(pipelineId: string, userId: string): RuntimeSinkScope {
      const k = keys.sink(pipelineId, userId);
      return {
        pipelineId,
        userId,
        state: {
          async changed(entries) {
            if (entries.length === 0) return new Set();
            const stored = await redis.hmget(k.hashes, ...entries.map((e) => e.sourceId));
            return new Set(entries.filter((e, i) => stored[i] !== e.hash).map((e) => e.sourceId));
          },
          async commit(entries) {
            if (entries.length === 0) return;
            const documents = entries.reduce((sum, e) => sum + e.documents, 0);
            const multi = redis.multi().hset(k.hashes, ...entries.flatMap((e) => [e.sourceId, e.hash]));
            multi.hincrby(k.stats, 'records', entries.length).hincrby(k.stats, 'documents', documents);
            await multi.exec();
          },
        },
        [REDIS_DOCUMENTS]: {
          async write(entries) {
            if (entries.length === 0) return { written: 0, unchanged: 0 };
            const [written, unchanged] = await runScript<[number, number]>(redis, 'sink-write', [k.documents, k.hashes, k.stats], encodeEntries(entries));
            return { written, unchanged };
          },
        },
      };
    },
  };
}

export type SinkStore = ReturnType<typeof createSinkStore>;

function encodeEntries(entries: readonly SinkEntry<unknown>[]): (string | number)[] {
  const updatedAt = new Date().toISOString();
  const args: (string | number)[] = [entries.length];
  for (const entry of entries) {
    args.push(entry.sourceId, entry.hash, entry.documents.length);
    for (const doc of entry.documents) {
      const stored: StoredDocument = { id: doc.id, sourceId: entry.sourceId, hash: entry.hash, value: doc.value, updatedAt };
      args.push(doc.id, JSON.stringify(stored));
    }
  }
  return args;
}
