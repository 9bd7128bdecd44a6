import type { Redis } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';

/** A document as it lands in a sink. */
export interface SinkDocument<T> {
  id: string;
  value: T;
}

/** Everything one source record produced, written (or skipped) as a unit. */
export interface SinkEntry<T> {
  sourceId: string;
  /** Content hash of the source record combined with the pipeline version. */
  hash: string;
  documents: SinkDocument<T>[];
}

export interface SinkWriteResult {
  /** Source records whose documents were written. */
  written: number;
  /** Source records skipped because their hash was already stored (a concurrent or repeated write). */
  unchanged: number;
}

export interface SinkScope {
  pipelineId: string;
  userId: string;
  redis: Redis;
  keys: KeyBuilder;
}

export interface SinkWriter<T> {
  /** Ids among `entries` whose stored hash differs: only these need the steps to run. */
  changed(entries: readonly { sourceId: string; hash: string }[]): Promise<Set<string>>;
  /** Idempotent upsert: an entry whose hash is already stored is not written again. */
  write(entries: readonly SinkEntry<T>[]): Promise<SinkWriteResult>;
}

/**
 * Where context lands. `open` is called per batch with the pipeline and user it writes for.
 * `write` is a property (not a method) so the document type is checked contravariantly.
 */
export interface Sink<in T> {
  readonly kind: string;
  readonly open: (scope: SinkScope) => SinkWriter<T>;
}
