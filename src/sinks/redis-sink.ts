import { changedSourceIds, commitEntries } from './record-index.js';
import type { Sink, SinkScope, SinkWriter } from './types.js';

/** A document as the Redis sink stores it. */
export interface StoredDocument<T = unknown> {
  id: string;
  sourceId: string;
  hash: string;
  value: T;
  updatedAt: string;
}

/**
 * The default sink: one Redis hash of documents per pipeline and user, plus the record index
 * (content hash and document ids per source record), so a batch costs one HMGET to find what
 * changed and one script call to write it, removing what a changed or deleted record no longer yields.
 */
export function redisSink<T = unknown>(): Sink<T> {
  return { kind: 'redis', open: (scope) => openRedisWriter<T>(scope) };
}

export function openRedisWriter<T>(scope: SinkScope): SinkWriter<T> {
  const keys = scope.keys.sink(scope.pipelineId, scope.userId);
  return {
    changed: (entries) => changedSourceIds(scope.redis, keys, entries),
    write(entries) {
      const updatedAt = new Date().toISOString();
      return commitEntries(scope.redis, keys, entries, (entry, doc) => {
        const stored: StoredDocument<T> = { id: doc.id, sourceId: entry.sourceId, hash: entry.hash, value: doc.value, updatedAt };
        return JSON.stringify(stored);
      });
    },
  };
}
