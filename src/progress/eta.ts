import type { RunSnapshot } from './events.js';

/**
 * Seconds left for a run, from its rate so far; undefined until the total is known and some
 * records are done. A rough figure by design: it is for a progress bar, not a promise.
 */
export function estimateSecondsLeft(run: RunSnapshot, now = Date.now()): number | undefined {
  if (run.status !== 'running' || run.counts.total === undefined) return undefined;
  const done = run.counts.processed + run.counts.skipped + run.counts.failed;
  const elapsed = (now - Date.parse(run.startedAt)) / 1000;
  if (done <= 0 || elapsed <= 0) return undefined;
  const left = Math.max(0, run.counts.total - done);
  return Math.round(left / (done / elapsed));
}
