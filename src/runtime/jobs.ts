import { UnrecoverableError, type Job, type JobsOptions, type Queue } from 'bullmq';
import { z } from 'zod';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import { isScheduledRunId } from '../store/ids.js';

/** Identifies a run; every job carries it. */
export const runRefSchema = z.object({ runId: z.string().min(1), pipelineId: z.string().min(1), userId: z.string().min(1) });

/**
 * Every kind of job Sluice queues: name -> schema of its data. Job data carries ids, cursors and
 * record data only, never credentials. Data is validated when a worker receives a job, since
 * anything with access to Redis can add one.
 */
export const jobCatalogue = {
  /** Read one page of a source. */
  page: runRefSchema.extend({
    sourceIndex: z.int().nonnegative(),
    pageIndex: z.int().nonnegative(),
    cursor: z.string().optional(),
    /** The chain of pages this one belongs to: `s0` for a source's own, a fork's id (`s0p3f2`) for a fork's. */
    chain: z.string().regex(/^s\d+(p\d+f\d+)*$/).optional(),
  }),
  /** Run the steps over a slice of one page's records and write them to the sink. */
  batch: runRefSchema.extend({
    batchId: z.string().min(1),
    records: z.array(z.object({ id: z.string().min(1), hash: z.string(), data: z.unknown() })),
    /** Source ids the page reported deleted: removed from the sink in the same write. */
    deletedIds: z.array(z.string().min(1)).optional(),
  }),
  /** Delete what a finished, clean full listing of a source did not see (mark and sweep). */
  sweep: runRefSchema.extend({
    sourceIndex: z.int().nonnegative(),
  }),
  /** A user's schedule came due: start a re-sync run (added by BullMQ's job scheduler). */
  schedule: z.object({ pipelineId: z.string().min(1), userId: z.string().min(1) }),
};

export type JobName = keyof typeof jobCatalogue;
export type JobData<N extends JobName> = z.output<(typeof jobCatalogue)[N]>;
export type PageJobData = JobData<'page'>;
export type BatchJobData = JobData<'batch'>;
export type SweepJobData = JobData<'sweep'>;

export const JOB_PAGE = 'page' satisfies JobName;
export const JOB_BATCH = 'batch' satisfies JobName;
export const JOB_SWEEP = 'sweep' satisfies JobName;
export const JOB_SCHEDULE = 'schedule' satisfies JobName;

/** A job to add, its data typed by its name. */
export type JobSpec = { [N in JobName]: { name: N; data: JobData<N>; opts: JobsOptions } }[JobName];

/** The one place Sluice adds jobs. */
export async function addJobs(queue: Queue, jobs: readonly JobSpec[]): Promise<void> {
  if (jobs.length > 0) await queue.addBulk([...jobs]);
}

// One parser per kind, spelled out: indexing this mapped type by a generic name keeps the data
// typed by its kind, which indexing the catalogue itself does not (TypeScript loses the pairing).
const parsers: { [N in JobName]: (data: unknown) => JobData<N> } = {
  page: (data) => jobCatalogue.page.parse(data),
  batch: (data) => jobCatalogue.batch.parse(data),
  sweep: (data) => jobCatalogue.sweep.parse(data),
  schedule: (data) => jobCatalogue.schedule.parse(data),
};

/** `signal` is aborted when the shard's run is cancelled or BullMQ gives the job up (a lost lock). */
export type JobHandlers = { [N in JobName]: (data: JobData<N>, job: Job, signal: AbortSignal) => Promise<void> };

/** A job that no retry can fix: an unknown kind, or data that does not match its schema. */
export class InvalidJobError extends UnrecoverableError {
  override name = 'InvalidJobError';
}

/**
 * Checks a received job against the catalogue and binds it to its handler. Throws InvalidJobError
 * (BullMQ fails the job without retrying it) with a message naming the job and the bad field.
 */
export function bindJob(job: Job, handlers: JobHandlers): (signal: AbortSignal) => Promise<void> {
  if (!isJobName(job.name)) {
    throw new InvalidJobError(`unknown job kind "${job.name}" (job ${job.id}); known kinds: ${Object.keys(jobCatalogue).join(', ')}`);
  }
  return bindKind(job.name, job, handlers);
}

function bindKind<N extends JobName>(name: N, job: Job, handlers: JobHandlers): (signal: AbortSignal) => Promise<void> {
  let data: JobData<N>;
  try {
    data = parsers[name](job.data);
  } catch (error) {
    if (!(error instanceof z.ZodError)) throw error;
    throw new InvalidJobError(`invalid data in ${name} job ${job.id}: ${describeIssues(error)}`);
  }
  return (signal) => handlers[name](data, job, signal);
}

const isJobName = (name: string): name is JobName => Object.hasOwn(jobCatalogue, name);

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`)
    .join('; ');
}

export const pageId = (sourceIndex: number, pageIndex: number) => `s${sourceIndex}p${pageIndex}`;
/**
 * Pages form chains: a source's own chain is `s0` (pages `s0p0`, `s0p1`, ...); fork k of page
 * `s0p3` starts the chain `s0p3f<k>` (pages `s0p3f<k>p0`, `s0p3f<k>p1`, ...). Ids depend only on
 * where a cursor came from, so a page read twice registers the same forks, and they never collide.
 */
export const chainPageId = (chain: string, pageIndex: number) => `${chain}p${pageIndex}`;
export const forkChain = (page: string, index: number) => `${page}f${index}`;
export const batchId = (page: string, index: number) => `${page}b${index}`;
/** The shard that sweeps a source's full listing; listing.lua spells it the same way. */
export const sweepId = (sourceIndex: number) => `s${sourceIndex}sweep`;
/** BullMQ job ids are deterministic, so re-adding a shard after a crash does not duplicate a waiting job. */
export const jobId = (runId: string, shard: string) => `${runId}.${shard}`;

/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_151;

/**
 * Added to the priority of every shard of a run a schedule started, so new users' runs (onboarding)
 * never queue behind a wave of routine re-syncs. Re-syncs keep their round-robin order among
 * themselves up to ordinal ~1.1 million, then share the last priority.
 */
export const SCHEDULED_PRIORITY_OFFSET = 1_000_000;

/**
 * `ordinal` is the shard's batch ordinal in its run. Under round-robin fairness it is the job's
 * priority: every run's batch n goes before any run's batch n+1, so a user who starts now gets
 * their first batches done ahead of the backlogs of users who started earlier.
 */
export function jobOptions(pipeline: Pipeline<unknown>, runId: string, shard: string, ordinal: number): JobsOptions {
  const offset = isScheduledRunId(runId) ? SCHEDULED_PRIORITY_OFFSET : 0;
  // Under fifo, jobs without a priority go first: a scheduled run's shards wait behind them, in order.
  const priority = pipeline.fairness === 'round-robin' ? Math.min(MAX_PRIORITY, offset + ordinal + 1) : offset || undefined;
  return {
    jobId: jobId(runId, shard),
    ...(priority ? { priority } : {}),
    attempts: pipeline.attempts,
    backoff: { type: 'exponential', delay: pipeline.backoffMs, jitter: 0.5 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  };
}
