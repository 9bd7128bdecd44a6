import type { Redis } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';

/** A document as it lands in a sink. */
export interface SinkDocument<T> {
  id: string;
  value: T;
}

/**
 * Everything one source record produced, written (or skipped) as a unit, or the record's deletion.
 * An upsert replaces the record's documents: ids it no longer yields are removed.
 */
export type SinkEntry<T> = SinkUpsert<T> | SinkDeletion;

export interface SinkUpsert<T> {
  sourceId: string;
  /** Content hash of the source record combined with the pipeline version. */
  hash: string;
  documents: SinkDocument<T>[];
  deleted?: false;
}

/** The source record is gone: all of its documents and its stored hash are removed. */
export interface SinkDeletion {
  sourceId: string;
  deleted: true;
}

export interface SinkWriteResult {
  /** Source records whose documents were written. */
  written: number;
  /** Source records skipped because their hash was already stored (a concurrent or repeated write). */
  unchanged: number;
  /** Source records removed; deleting a record that was never stored (or already deleted) counts 0. */
  deleted: number;
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
  /**
   * Idempotent upserts and deletions, in order: an upsert whose hash is already stored is not
   * written again; the batch lands in one atomic write.
   */
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
