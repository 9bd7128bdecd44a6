/** Version of the event format; readers ignore events of a newer major version they don't know. */
export const PROGRESS_EVENT_VERSION = 1;

/**
 * An item that could not be read or processed (a missing repository, an unreadable file, a record
 * a step refused): counted and reported, never fatal to the run. Connectors return it in a page,
 * the runtime publishes it as `item.failed`, clients show it.
 */
export interface ItemFailure {
  id: string;
  reason: string;
}

/** `cancelled`: stopped on request; its counts say how far it got. */
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface RunCounts {
  /** Records the sources listed so far. */
  discovered: number;
  /** Records that went through the steps and reached the sink. */
  processed: number;
  /** Records left alone because their content did not change. */
  skipped: number;
  /** Records (or source items) that failed; the run goes on without them. */
  failed: number;
  /** Records the sink actually wrote. */
  written: number;
  /**
   * Records removed from the sink because the source deleted them (or a complete listing no longer
   * has them). Absent until the run deleted something, and in events of older versions.
   */
  deleted?: number;
  /** Total records, when every source has told us. */
  total?: number;
}

/** The whole truth about one run: every progress event carries it, so a reader that missed events catches up. */
export interface RunSnapshot {
  runId: string;
  pipeline: string;
  userId: string;
  status: RunStatus;
  counts: RunCounts;
  startedAt: string;
  finishedAt?: string;
  error?: string;
  /** LLM calls paid, tokens billed and estimated cost so far, counted when paid; answers from the cache are free. */
  usage?: { promptTokens: number; completionTokens: number; costUsd: number; calls?: number; cachedCalls?: number };
  /**
   * Set while the run's work waits on a source's rate limit, an LLM budget, a provider outage or a
   * quota: `on` the source or limiter key, `until` (ISO) when the wait should end.
   */
  /** What the run waits on, until when; `since` for a wait that counts up (a call in flight). */
  waiting?: { on: string; reason: string; until: string; since?: string };
  /** Increases with every change of the run; events never go backwards. */
  seq: number;
}

interface EventBase {
  v: typeof PROGRESS_EVENT_VERSION;
  runId: string;
  pipeline: string;
  at: string;
}

export type RunEvent =
  | (EventBase & { type: 'run.started'; run: RunSnapshot })
  /** `note`: why an event came that no shard's progress caused (e.g. lost work was queued again). */
  | (EventBase & { type: 'run.progress'; run: RunSnapshot; note?: string })
  | (EventBase & { type: 'run.completed'; run: RunSnapshot })
  | (EventBase & { type: 'run.failed'; run: RunSnapshot })
  | (EventBase & { type: 'run.cancelled'; run: RunSnapshot })
  | (EventBase & { type: 'item.failed'; item: ItemFailure });

export type RunEventType = RunEvent['type'];

/** An event as read back from a user's stream: `id` is the stream id to resume from. */
export type ProgressEntry = RunEvent & { id: string };
