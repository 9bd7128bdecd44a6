import { runScript } from '../store/scripts.js';
import type { Sink, SinkEntry, SinkScope, SinkWriter } from './types.js';

/** A document as the Redis sink stores it. */
export interface StoredDocument<T = unknown> {
  id: string;
  sourceId: string;
  hash: string;
  value: T;
  updatedAt: string;
}

/**
 * The default sink: one Redis hash of documents per pipeline and user, plus a hash of content
 * hashes, so a batch costs one HMGET to find what changed and one script call to write it.
 */
export function redisSink<T = unknown>(): Sink<T> {
  return { kind: 'redis', open: (scope) => openRedisWriter<T>(scope) };
}

export function openRedisWriter<T>(scope: SinkScope): SinkWriter<T> {
  const keys = scope.keys.sink(scope.pipelineId, scope.userId);
  return {
    async changed(entries) {
      if (entries.length === 0) return new Set();
      const stored = await scope.redis.hmget(keys.hashes, ...entries.map((e) => e.sourceId));
      return new Set(entries.filter((e, i) => stored[i] !== e.hash).map((e) => e.sourceId));
    },
    async write(entries) {
      if (entries.length === 0) return { written: 0, unchanged: 0 };
      const [written, unchanged] = await runScript<[number, number]>(
        scope.redis,
        'sink-write',
        [keys.documents, keys.hashes, keys.stats],
        encodeEntries(entries),
      );
      return { written, unchanged };
    },
  };
}

function encodeEntries<T>(entries: readonly SinkEntry<T>[]): (string | number)[] {
  const updatedAt = new Date().toISOString();
  const args: (string | number)[] = [entries.length];
  for (const entry of entries) {
    args.push(entry.sourceId, entry.hash, entry.documents.length);
    for (const doc of entry.documents) {
      const stored: StoredDocument<T> = { id: doc.id, sourceId: entry.sourceId, hash: entry.hash, value: doc.value, updatedAt };
      args.push(doc.id, JSON.stringify(stored));
    }
  }
  return args;
}
