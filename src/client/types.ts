import type { ItemFailure, RunSnapshot } from '../progress/events.js';

export type { ItemFailure };

/** One run as a client shows it: the run's own snapshot plus an ETA (seconds) when one can be estimated. */
export interface RunView extends RunSnapshot {
  etaSeconds?: number;
}

/** Body of `GET /v1/users/:userId/progress`, and the data of an SSE `snapshot` message. */
export interface ProgressSnapshotBody {
  userId: string;
  lastEventId: string | null;
  runs: Array<RunView & { failures: ItemFailure[] }>;
}

/** The connection as a UI shows it; `error` is final (bad or expired token, forbidden, bad request). */
export type ConnectionStatus = 'connecting' | 'live' | 'reconnecting' | 'closed' | 'error';
