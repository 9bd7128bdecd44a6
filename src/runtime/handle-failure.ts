import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { classifyError, isSluiceError, type ErrorDecision, type WaitInfo } from '../errors/index.js';
import { errorReason } from '../pipeline/step.js';
import type { RuntimeContext } from './context.js';
import type { RunRef } from './run-store.js';
import { JOB_BATCH, type BatchJobData, type PageJobData } from './jobs.js';
import { abandonBatch } from './process-batch.js';

/** A processor that throws BullMQ's UnrecoverableError asks for no more attempts of this shard. */
const GIVE_UP: ErrorDecision = { action: 'give-up' };

/**
 * A source's rate limit, recognised by its brand and code (or class name, for a subclass with its own
 * code), never by `instanceof`: a config's connectors throw copies of the runtime's classes.
 */
function isSourceRateLimit(error: unknown): boolean {
  return isSluiceError(error) && (error.code === 'source_rate_limit' || error.name === 'SourceRateLimitError');
}

/**
 * Carries out what `classifyError` decided for a shard's error:
 * - a rate limit or a wait for LLM budget puts the job back, delayed, without using an attempt and
 *   without holding the slot; a wait on a provider (pause, open circuit) shows in the run's progress;
 * - a run-fatal error (revoked auth, permanent misconfiguration) fails the run at once;
 * - anything else retries with exponential backoff and jitter; on the last attempt, or at once for
 *   an error that no retry can fix, a page fails the run and a batch counts its records as failed,
 *   so the run still finishes.
 */
export async function handleShardError(rt: RuntimeContext, job: Job, error: unknown, token: string | undefined): Promise<never> {
  if (error instanceof DelayedError) throw error;
  const decision = error instanceof UnrecoverableError ? GIVE_UP : classifyError(error);
  if (decision.action === 'delay') {
    if (decision.wait) await markWaiting(rt, job, decision.wait, decision.delayMs);
    // Jitter spreads the jobs that waited on the same key, so they do not return all at once; a
    // source's limit has a known reset, so its jitter stays under a second past it.
    const delayMs = Math.max(50, decision.delayMs);
    const jitterMs = Math.random() * Math.min(isSourceRateLimit(error) ? 1000 : Infinity, delayMs * 0.25);
    await job.moveToDelayed(Date.now() + delayMs + jitterMs, token);
    throw new DelayedError();
  }
  const lastAttempt = decision.action !== 'retry' || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (!lastAttempt) throw error;

  const reason = errorReason(error);
  if (job.name === JOB_BATCH && decision.action !== 'fail-run') {
    await abandonBatch(rt, job as Job<BatchJobData>, reason);
  } else {
    await failRun(rt, job.data as PageJobData, reason, error);
  }
  if (job.name === JOB_BATCH) await forgetRecordContents(job as Job<BatchJobData>);
  throw new UnrecoverableError(reason);
}

/**
 * Fails a run once with `reason`: its end is told to schedules and metrics, then published. Every
 * path that fails a run (a shard's last attempt, the reconciler, a job BullMQ failed on its own, an
 * invalid job) goes through here. True when this call failed it.
 */
export async function failRun(rt: RuntimeContext, ref: RunRef, reason: string, error: unknown = new Error(reason)): Promise<boolean> {
  const { changed, run } = await rt.runs.fail(ref, reason);
  if (!changed) return false;
  // Schedules first (a revoked credential pauses them), so the failure event finds them updated.
  await rt.runEnded?.(run, error);
  await rt.progress.publishRun('run.failed', run);
  return true;
}

/**
 * BullMQ keeps a failed job, data included, for days (`removeOnFail`): out of reach of a user's
 * deletion. A batch that failed for good keeps its record ids and hashes, never their contents.
 */
async function forgetRecordContents(job: Job<BatchJobData>): Promise<void> {
  await job.updateData({ ...job.data, records: job.data.records.map(({ id, hash }) => ({ id, hash, data: null })) });
}

async function markWaiting(rt: RuntimeContext, job: Job, wait: WaitInfo, waitMs: number): Promise<void> {
  const run = await rt.runs.setWaiting(job.data as PageJobData, { on: wait.on, reason: wait.reason, untilMs: Date.now() + waitMs, seenAtMs: wait.seenAt });
  if (run) rt.progress.report(run);
}
