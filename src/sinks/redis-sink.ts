import { REDIS_DOCUMENTS, type RuntimeSinkScope } from './sink-store.js';
import type { Sink, SinkScope, SinkWriter } from './types.js';

export type { StoredDocument } from './sink-store.js';

/**
 * The default sink: one Redis hash of documents per pipeline and user, beside the record index
 * (content hash and document ids per source record), so a batch costs one HMGET to find what
 * changed and one script call to write it, removing what a changed or deleted record no longer yields.
 */
export function redisSink<T = unknown>(): Sink<T> {
  return { kind: 'redis', open: (scope) => openRedisWriter<T>(scope) };
}

function openRedisWriter<T>(scope: SinkScope): SinkWriter<T> {
  const documents = (scope as Partial<RuntimeSinkScope>)[REDIS_DOCUMENTS];
  if (!documents) throw new TypeError('redisSink stores through the Sluice runtime: open it with a scope the runtime made');
  return { changed: (entries) => scope.state.changed(entries), write: (entries) => documents.write(entries) };
}
