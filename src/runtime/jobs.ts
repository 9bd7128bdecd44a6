import type { JobsOptions } from 'bullmq';
import type { SourceRecord } from '../connector/types.js';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import type { RunRef } from './run-store.js';

/** Read one page of a source. Carries ids and a cursor only: never credentials or record data. */
export interface PageJobData extends RunRef {
  sourceIndex: number;
  pageIndex: number;
  cursor?: string;
}

/** Run the steps over a slice of one page's records and write them to the sink. */
export interface BatchJobData extends RunRef {
  batchId: string;
  records: SourceRecord<unknown>[];
}

export const JOB_PAGE = 'page';
export const JOB_BATCH = 'batch';

export const pageId = (sourceIndex: number, pageIndex: number) => `s${sourceIndex}p${pageIndex}`;
export const batchId = (page: string, index: number) => `${page}b${index}`;
/** BullMQ job ids are deterministic, so re-adding a shard after a crash does not duplicate a waiting job. */
export const jobId = (runId: string, shard: string) => `${runId}.${shard}`;

/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_151;

/**
 * `ordinal` is the shard's batch ordinal in its run. Under round-robin fairness it is the job's
 * priority: every run's batch n goes before any run's batch n+1, so a user who starts now gets
 * their first batches done ahead of the backlogs of users who started earlier.
 */
export function jobOptions(pipeline: Pipeline<unknown>, runId: string, shard: string, ordinal: number): JobsOptions {
  return {
    jobId: jobId(runId, shard),
    ...(pipeline.fairness === 'round-robin' ? { priority: Math.min(MAX_PRIORITY, ordinal + 1) } : {}),
    attempts: pipeline.attempts,
    backoff: { type: 'exponential', delay: pipeline.backoffMs, jitter: 0.5 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
