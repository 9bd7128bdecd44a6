import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { LimiterWaitError } from '../limiter/errors.js';
import { errorReason } from '../pipeline/step.js';
import { isErrorNamed } from '../util/error-kind.js';
import type { RuntimeContext } from './context.js';
import { JOB_BATCH, type BatchJobData, type PageJobData } from './jobs.js';
import { abandonBatch } from './process-batch.js';

/** Errors that no retry can fix: the run fails at once. */
const RUN_FATAL = ['SourceAuthError', 'LlmAuthError'];

/**
 * Turns a shard's error into the right queue outcome:
 * - a rate limit or a wait for LLM budget puts the job back, delayed, without using an attempt and
 *   without holding the slot; a wait on a provider (pause, open circuit) shows in the run's progress;
 * - an auth error fails the run at once (retrying a revoked credential only burns quota);
 * - anything else retries with exponential backoff and jitter; on the last attempt a page fails the
 *   run and a batch counts its records as failed, so the run still finishes.
 */
export async function handleShardError(rt: RuntimeContext, job: Job, error: unknown, token: string | undefined): Promise<never> {
  if (error instanceof DelayedError) throw error;
  const waitMs = retryAfter(error);
  if (waitMs !== undefined) {
    if (isErrorNamed<LimiterWaitError>(error, 'LimiterWaitError') && error.reason !== 'rate') await markWaiting(rt, job, error);
    // Jitter spreads the jobs that waited on the same key, so they do not return all at once; a
    // source's limit has a known reset, so its jitter stays under a second past it.
    const jitterMs = Math.random() * Math.min(isErrorNamed(error, 'SourceRateLimitError') ? 1000 : Infinity, Math.max(50, waitMs) * 0.25);
    await job.moveToDelayed(Date.now() + Math.max(50, waitMs) + jitterMs, token);
    throw new DelayedError();
  }
  const fatal = isErrorNamed(error, ...RUN_FATAL);
  const permanent = fatal || error instanceof UnrecoverableError;
  const lastAttempt = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (!lastAttempt) throw error;

  const reason = errorReason(error);
  if (job.name === JOB_BATCH && !fatal) {
    await abandonBatch(rt, job as Job<BatchJobData>, reason);
  } else {
    const { changed, run } = await rt.runs.fail(job.data as PageJobData, reason);
    if (changed) await rt.progress.publishRun('run.failed', run);
  }
  throw new UnrecoverableError(reason);
}

function retryAfter(error: unknown): number | undefined {
  if (isErrorNamed<Error & { retryAfterMs: number }>(error, 'SourceRateLimitError')) return error.retryAfterMs;
  if (isErrorNamed<LimiterWaitError>(error, 'LimiterWaitError')) return error.waitMs;
  return undefined;
}

async function markWaiting(rt: RuntimeContext, job: Job, error: LimiterWaitError): Promise<void> {
  const reason = error.reason === 'circuit' ? 'provider unavailable' : error.reason === 'paused' ? 'provider rate limit' : 'daily budget used';
  const run = await rt.runs.setWaiting(job.data as PageJobData, { on: error.key, reason, untilMs: Date.now() + error.waitMs });
  if (run) rt.progress.report(run);
}
