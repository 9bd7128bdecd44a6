import type { RedisClient } from '../store/redis.js';
import type { KeyBuilder } from '../store/keys.js';
import { changedSourceIds, commitEntries, readIndex } from './record-index.js';
import type { SinkEntry, SinkScope, SinkWriteResult } from './types.js';

/** A document as the Redis sink stores it. */
export interface StoredDocument<T = unknown> {
  id: string;
  sourceId: string;
  hash: string;
  value: T;
  updatedAt: string;
}

/** The built-in Redis sink's own store for one scope: documents and the record index in one script call. */
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
export function createSinkStore(redis: RedisClient, keys: KeyBuilder) {
  return {
    scope(pipelineId: string, userId: string): RuntimeSinkScope {
      const k = keys.sink(pipelineId, userId);
      return {
        pipelineId,
        userId,
        state: {
          changed: (entries) => changedSourceIds(redis, k, entries),
          lookup: (sourceIds) => readIndex(redis, k, sourceIds),
          commit: (entries) => commitEntries(redis, k, entries),
        },
        [REDIS_DOCUMENTS]: {
          write(entries) {
            const updatedAt = new Date().toISOString();
            return commitEntries(redis, k, entries, (entry, doc) => {
              const stored: StoredDocument = { id: doc.id, sourceId: entry.sourceId, hash: entry.hash, value: doc.value, updatedAt };
              return JSON.stringify(stored);
            });
          },
        },
      };
    },
  };
}

export type SinkStore = ReturnType<typeof createSinkStore>;
