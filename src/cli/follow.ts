import type { RunSnapshot } from '../progress/events.js';
import type { Sluice } from '../runtime/sluice.js';
import { ProgressBoard } from './progress-bars.js';

/**
 * Shows live progress of a user's runs until every run in `runIds` (or, without ids, every run that is
 * running when we start) is over. Starts from the snapshot, then follows the stream from its end.
 */
export async function followRuns(sluice: Sluice, userIds: readonly string[], runIds?: readonly string[]): Promise<RunSnapshot[]> {
  const board = new ProgressBoard();
  const waiting = new Map<string, RunSnapshot | undefined>();
  const after = new Map<string, string>();
  for (const userId of userIds) {
    // Take the stream position first, then the snapshot: nothing between the two is lost.
    const last = await sluice.redis.xrevrange(sluice.keys.progress(userId).events, '+', '-', 'COUNT', 1);
    after.set(userId, last[0]?.[0] ?? '0-0');
    for (const run of await sluice.status(userId)) {
      const wanted = runIds ? runIds.includes(run.runId) : run.status === 'running';
      if (!wanted) continue;
      board.update(run);
      waiting.set(run.runId, run.status === 'running' ? undefined : run);
    }
  }
  for (const id of runIds ?? []) if (!waiting.has(id)) waiting.set(id, undefined);
  const finished = () => [...waiting.values()].every((r) => r !== undefined);
  while (!finished()) {
    for (const userId of userIds) {
      const events = await sluice.events(userId, { after: after.get(userId), blockMs: userIds.length > 1 ? 200 : 1000 });
      for (const event of events) {
        after.set(userId, event.id);
        if (!('run' in event) || !waiting.has(event.runId)) continue;
        board.update(event.run);
        if (event.type === 'run.completed' || event.type === 'run.failed') waiting.set(event.runId, event.run);
      }
    }
  }
  return [...waiting.values()] as RunSnapshot[];
}
