import { estimateSecondsLeft } from '../progress/eta.js';
import type { RunSnapshot } from '../progress/events.js';
import { RunStore } from '../runtime/run-store.js';
import type { Sluice } from '../runtime/sluice.js';

export interface ProgressRun extends RunSnapshot {
  /** Rough seconds left, while running and once the total is known. */
  etaSeconds?: number;
  /** The run's most recent failed items. */
  failures: { id: string; reason: string }[];
}

/** Body of GET /v1/users/:userId/progress and data of the SSE `snapshot` message. */
export interface ProgressBody {
  userId: string;
  /** Newest stream id when the snapshot was read: stream from here and nothing is missed. */
  lastEventId: string | null;
  runs: ProgressRun[];
}

export async function readProgressBody(sluice: Sluice, runStore: RunStore, userId: string): Promise<ProgressBody> {
  // The id first, then the snapshot: any event after the id is delivered to a client that streams
  // from it, and the snapshot it renders is at least as new as the id.
  const [last] = (await sluice.redis.xrevrange(sluice.keys.progress(userId).events, '+', '-', 'COUNT', 1)) as [string, string[]][];
  const snapshots = await sluice.status(userId);
  const now = Date.now();
  const runs = await Promise.all(
    snapshots.map(async (run): Promise<ProgressRun> => {
      const failures = await runStore.recentFailures({ runId: run.runId, pipelineId: run.pipeline, userId });
      const etaSeconds = estimateSecondsLeft(run, now);
      return { ...run, ...(etaSeconds === undefined ? {} : { etaSeconds }), failures };
    }),
  );
  return { userId, lastEventId: last?.[0] ?? null, runs };
}
