import type { RunSnapshot } from '../../progress/events.js';
import type { RunStore } from '../run-store.js';

/**
 * What retrying a run did. A retry is a new run of the same pipeline for the same user, with the
 * same input and connection. Records whose content hash is in the sink are skipped (as in every
 * re-sync), and a failed item's hash is never stored, so the new run re-does exactly the failed
 * items, whatever the old run did not reach, and what changed since.
 */
export type RetryRunResult =
  | { outcome: 'started'; runId: string; retryOf: string }
  /** A run of that pipeline is going for the user already: that run is the retry. */
  | { outcome: 'already-running'; runId: string; retryOf: string }
  | { outcome: 'not-found' }
  /** The run's pipeline is not in this config. */
  | { outcome: 'unknown-pipeline'; run: RunSnapshot }
  /** The run is still going: cancel it first. */
  | { outcome: 'running'; run: RunSnapshot }
  /** It completed with no failed items. */
  | { outcome: 'nothing-to-retry'; run: RunSnapshot }
  /** Its state (and so its input) expired from Redis: start a new run instead. */
  | { outcome: 'expired'; run: RunSnapshot };

/** The part of the facade's StartRunOptions a retry passes (structural: no import cycle with sluice.ts). */
export interface RestartOptions {
  userId: string;
  input: Record<string, unknown>;
  connectionId?: string;
  trigger: 'manual';
}

export interface RetryDeps {
  runs: RunStore;
  knownPipeline(id: string): boolean;
  findRun(userId: string, runId: string): Promise<RunSnapshot | undefined>;
  startRun(pipelineId: string, options: RestartOptions): Promise<{ runId: string; created: boolean }>;
}

/** Retries an ended run that failed, was cancelled, or completed with failed items. */
export async function retryRun(deps: RetryDeps, userId: string, runId: string): Promise<RetryRunResult> {
  const run = await deps.findRun(userId, runId);
  if (!run) return { outcome: 'not-found' };
  if (!deps.knownPipeline(run.pipeline)) return { outcome: 'unknown-pipeline', run };
  if (run.status === 'running') return { outcome: 'running', run };
  if (run.status === 'completed' && run.counts.failed === 0) return { outcome: 'nothing-to-retry', run };
  const ref = { pipelineId: run.pipeline, userId: run.userId, runId };
  if ((await deps.runs.status(ref)) === undefined) return { outcome: 'expired', run };
  const { input, connectionId } = await deps.runs.sourceContext(ref, 's0');
  const started = await deps.startRun(run.pipeline, { userId: run.userId, input, ...(connectionId ? { connectionId } : {}), trigger: 'manual' });
  return { outcome: started.created ? 'started' : 'already-running', runId: started.runId, retryOf: runId };
}
