import type { z } from 'zod';
import type { ItemFailure } from '../progress/events.js';

export type { ItemFailure };

/** How a stream learns what changed since the last sync. */
export type ChangeFeed = 'full' | 'since' | 'history';

/** One item read from a source. `hash` identifies its content: unchanged hash, no work. */
export interface SourceRecord<T> {
  id: string;
  hash: string;
  data: T;
}

export interface Page<T> {
  records: SourceRecord<T>[];
  /** Opaque cursor of the next page; absent when the stream is exhausted. */
  nextCursor?: string;
  failures?: ItemFailure[];
  /** Records the source reported unchanged without sending them (an ETag 304): counted as skipped. */
  unchanged?: number;
  /**
   * Ids of those unchanged records, when the source knows them (a file whose blob sha a completed
   * sync delivered). Not sent again, yet still present: a sweep of a full listing must keep them.
   */
  unchangedIds?: string[];
  /** Total records in the stream, when the source knows it. */
  total?: number;
  /** Incremental cursor reached so far (an ISO time, a history id). The run keeps the greatest. */
  watermark?: string;
}

/** Secrets a connector needs, resolved at run time and never stored in job data or events. */
export interface Credentials {
  token?: string;
  [key: string]: unknown;
}

export interface CredentialRequest {
  userId: string;
  connector: string;
  connectionId?: string;
}

export type CredentialProvider = (request: CredentialRequest) => Credentials | Promise<Credentials>;

/** Small per-user key/value state for a connector (ETags, cached listings), kept in Redis. */
export interface ConnectorState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
}

export interface ReadContext<P> {
  userId: string;
  params: P;
  /** Per-run input given when the run was started (`--input`). */
  input: Record<string, unknown>;
  /** Watermark of the last successful run of this source, for incremental streams. */
  since?: string;
  credentials(): Promise<Credentials>;
  state: ConnectorState;
  signal?: AbortSignal;
}

export interface StreamDefinition<T, P = Record<string, never>> {
  changeFeed: ChangeFeed;
  /** Validates the stream's parameters when the pipeline is defined. */
  params?: z.ZodType<P>;
  read(context: ReadContext<P>, cursor: string | undefined): Promise<Page<T>>;
}

/** A stream bound to its parameters: what a pipeline names as its source. */
export interface Source<T> {
  readonly connector: string;
  readonly stream: string;
  readonly changeFeed: ChangeFeed;
  readonly params: unknown;
  read(context: Omit<ReadContext<unknown>, 'params'>, cursor: string | undefined): Promise<Page<T>>;
  /** Phantom field carrying the record type; never set. */
  readonly __record?: T;
}

export type RecordOf<S> = S extends Source<infer T> ? T : never;
