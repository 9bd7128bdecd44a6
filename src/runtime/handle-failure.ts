import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { SourceAuthError, SourceRateLimitError } from '../connector/errors.js';
import { errorReason } from '../pipeline/step.js';
import type { RuntimeContext } from './context.js';
import { JOB_BATCH, type BatchJobData, type PageJobData } from './jobs.js';
import { abandonBatch } from './process-batch.js';

/**
 * Turns a shard's error into the right queue outcome:
 * - a rate limit puts the job back, delayed, without using an attempt and without holding the slot;
 * - an auth error fails the run at once (retrying a revoked token only burns quota);
 * - anything else retries with backoff; on the last attempt a page fails the run and a batch
 *   counts its records as failed, so the run still finishes.
 */
export async function handleShardError(rt: RuntimeContext, job: Job, error: unknown, token: string | undefined): Promise<never> {
  if (error instanceof DelayedError) throw error;
  if (error instanceof SourceRateLimitError) {
    await job.moveToDelayed(Date.now() + Math.max(100, error.retryAfterMs), token);
    throw new DelayedError();
  }
  const permanent = error instanceof SourceAuthError || error instanceof UnrecoverableError;
  const lastAttempt = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  if (!lastAttempt) throw error;

  const reason = errorReason(error);
  if (job.name === JOB_BATCH) {
    await abandonBatch(rt, job as Job<BatchJobData>, reason);
  } else {
    const data = job.data as PageJobData;
    const { changed, run } = await rt.runs.fail(data, reason);
    if (changed) await rt.progress.publishRun('run.failed', run);
  }
  throw permanent ? error : new UnrecoverableError(reason);
}
