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
   * Source ids deleted at the source since the last sync (a history feed, a tombstone): their
   * documents are removed from the sink.
   */
  deleted?: string[];
  /**
   * Other cursors of this stream that can be read at the same time as `nextCursor` (one per
   * repository, one per slice of a tree listing): each becomes its own page, so one user's run
   * fills the workers instead of reading one page after another.
   */
  fork?: string[];
  /**
   * This page belongs to a listing of the stream's whole scope, for streams whose runs only
   * sometimes list everything (a history feed that fell back to a full listing); it overrides the
   * stream's `fullListing` for the page. Every page of such a listing must say so.
   */
  fullListing?: boolean;
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
  /**
   * The credentials given before were refused (a 401): return fresh ones (refresh the OAuth token).
   * Asked at most once per read; if the fresh ones are refused too, the run fails as revoked.
   */
  refresh?: boolean;
}

export type CredentialProvider = (request: CredentialRequest) => Credentials | Promise<Credentials>;

/** Small per-user key/value state for a connector (ETags, cached listings), kept in Redis. */
export interface ConnectorState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
}

/**
 * A shared budget for a source's API quota (Gmail's 15,000 units per user per minute), enforced
 * across every worker through Redis. Keys come from the config's `limits`, and may name the user:
 * `gmail:user:{userId}` is filled in per read.
 */
export interface SourceLimiter {
  /**
   * Takes one request and `units` from the key's budget. Waits briefly in-process; a longer wait
   * throws a retry-later error so the shard goes back to the queue instead of holding a worker.
   * A key with no configured limit is free.
   */
  take(key: string, units?: number): Promise<void>;
}

export interface ReadContext<P> {
  userId: string;
  /** The user's connection this run reads (an app may hold several per user and connector). */
  connectionId?: string;
  params: P;
  /** Per-run input given when the run was started (`--input`). */
  input: Record<string, unknown>;
  /** Watermark of the last successful run of this source, for incremental streams. */
  since?: string;
  /** The user's credentials; `{ refresh: true }` after the provider refused them (see CredentialRequest). */
  credentials(options?: { refresh?: boolean }): Promise<Credentials>;
  state: ConnectorState;
  limiter: SourceLimiter;
  /** Aborted when the run is cancelled or the shard's deadline passes: pass it to every request. */
  signal?: AbortSignal;
}

/** How a stream's watermarks compare: instants (any ISO precision) or integers (Gmail history ids). */
export type WatermarkOrder = 'timestamp' | 'number';

export interface StreamDefinition<T, P = Record<string, never>> {
  changeFeed: ChangeFeed;
  /**
   * A run lists the stream's whole scope (a tree, every message id): when a run's listing of this
   * stream is complete and failure-free, records it did not see are deleted (mark and sweep).
   * `unchangedIds` count as seen. A partial or failed listing never deletes.
   */
  fullListing?: boolean;
  /** How `watermark`s compare. Default `timestamp`. */
  watermark?: WatermarkOrder;
  /** Validates the stream's parameters when the pipeline is defined. */
  params?: z.ZodType<P>;
  read(context: ReadContext<P>, cursor: string | undefined): Promise<Page<T>>;
}

/** A stream bound to its parameters: what a pipeline names as its source. */
export interface Source<T> {
  readonly connector: string;
  readonly stream: string;
  readonly changeFeed: ChangeFeed;
  readonly fullListing: boolean;
  readonly watermark: WatermarkOrder;
  readonly params: unknown;
  read(context: Omit<ReadContext<unknown>, 'params'>, cursor: string | undefined): Promise<Page<T>>;
  /** Phantom field carrying the record type; never set. */
  readonly __record?: T;
}

export type RecordOf<S> = S extends Source<infer T> ? T : never;

/** A limiter with no budgets: for reading a stream outside the runtime (tests, scripts). */
export const unlimitedSource: SourceLimiter = { take: async () => {} };
