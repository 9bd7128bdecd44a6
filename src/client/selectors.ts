import type { ProgressState } from './state.js';
import type { RunView } from './types.js';

export type OverallState = 'idle' | 'running' | 'completed' | 'failed';

/** The newest run of each pipeline, oldest first, so rows keep their place as a user's onboarding advances. */
export function latestRuns(state: ProgressState): RunView[] {
  const newest = new Map<string, RunView>();
  for (const run of Object.values(state.runs)) {
    const seen = newest.get(run.pipeline);
    if (!seen || seen.startedAt < run.startedAt) newest.set(run.pipeline, run);
  }
  return [...newest.values()].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.pipeline.localeCompare(b.pipeline)));
}

/** Records done out of the total; the total of a finished run is what it did, even if sources never said. */
export function runProgress(run: RunView): { done: number; total: number | undefined; ratio: number | undefined } {
  const { processed, skipped, failed, total: known } = run.counts;
  const done = processed + skipped + failed;
  const total = known ?? (run.status === 'running' ? undefined : done);
  const ratio = total === undefined ? undefined : total === 0 ? 1 : Math.min(1, done / total);
  return { done, total, ratio };
}

export function overallState(runs: readonly RunView[]): OverallState {
  if (runs.length === 0) return 'idle';
  if (runs.some((r) => r.status === 'running')) return 'running';
  return runs.some((r) => r.status === 'failed') ? 'failed' : 'completed';
}
