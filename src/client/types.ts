import type { ItemFailure, RunSnapshot } from '../progress/events.js';

export type { ItemFailure };

/** One run as a client shows it: the run's own snapshot plus an ETA (seconds) when one can be estimated. */
export interface RunView extends RunSnapshot {
  etaSeconds?: number;
  /** The user's re-sync schedule for this run's pipeline, as of the last snapshot. */
  schedule?: RunSchedule;
}

/** "next sync in 3 h": a pipeline's schedule for the user, in a progress snapshot. */
export interface RunSchedule {
  /** Interval in milliseconds, or a cron pattern with its time zone. */
  every?: number;
  cron?: string;
  tz?: string;
  status: 'active' | 'paused';
  /** Why it is paused (e.g. credentials revoked). */
  reason?: string;
  /** When it fires next (ISO), while active. */
  nextRunAt?: string;
}

/** Body of `GET /v1/users/:userId/progress`, and the data of an SSE `snapshot` message. */
export interface ProgressSnapshotBody {
  userId: string;
  lastEventId: string | null;
  runs: Array<RunView & { failures: ItemFailure[] }>;
}

/** The connection as a UI shows it; `error` is final (bad or expired token, forbidden, bad request). */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'error';
