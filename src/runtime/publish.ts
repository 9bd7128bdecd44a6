import type { ItemFailure, RunSnapshot } from '../progress/events.js';
import type { RuntimeContext } from './context.js';
import type { ShardOutcome } from './run-store.js';

/** After a shard: the final event at once when it completed the run, else a coalesced progress event. */
export async function publishShardResult(rt: RuntimeContext, result: { outcome: ShardOutcome; run: RunSnapshot }): Promise<void> {
  if (result.outcome === 'completed') {
    // Schedules first: a client that sees the run end also sees the schedule it set.
    await rt.runEnded?.(result.run);
    await rt.progress.publishRun('run.completed', result.run);
  } else if (result.outcome === 'recorded') rt.progress.report((await clearEndedWait(rt, result.run)) ?? result.run);
}

/**
 * A shard got through after the run's wait ended: the wait is over, say so. Shards finishing during
 * the wait (batches of pages read before a source's limit) leave it shown.
 */
async function clearEndedWait(rt: RuntimeContext, run: RunSnapshot): Promise<RunSnapshot | undefined> {
  if (!run.waiting || Date.parse(run.waiting.until) > Date.now()) return undefined;
  return rt.runs.clearEndedWait({ runId: run.runId, pipelineId: run.pipeline, userId: run.userId });
}

/** `item.failed` events, up to the configured number per run; later failures are only counted. */
export async function publishItemFailures(
  rt: RuntimeContext,
  run: RunSnapshot,
  failures: readonly ItemFailure[],
): Promise<void> {
  if (failures.length === 0) return;
  const before = run.counts.failed - failures.length;
  const room = Math.max(0, rt.maxItemFailures - before);
  for (const item of failures.slice(0, room)) await rt.progress.publishItemFailed(run, item);
}
