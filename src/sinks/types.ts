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

/** A source record a sink has written, as Sluice remembers it: its hash and how many documents it gave. */
export interface SinkCommit {
  sourceId: string;
  hash: string;
  documents: number;
}

/**
 * What Sluice remembers for a sink, per pipeline and user: each source record's content hash, so
 * unchanged records are skipped, and counts of what was written. Entries are whole records, so a
 * later kind (a deleted record) can join the same calls.
 */
export interface SinkState {
  /** Source ids among `entries` whose stored hash differs (never written, or changed since). */
  changed(entries: readonly { sourceId: string; hash: string }[]): Promise<Set<string>>;
  /** Records `entries` as written: stores their hashes and adds them to the counts, atomically. */
  commit(entries: readonly SinkCommit[]): Promise<void>;
}

/** What a sink is opened for: one pipeline and user, and the state Sluice keeps for them. */
export interface SinkScope {
  readonly pipelineId: string;
  readonly userId: string;
  readonly state: SinkState;
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
