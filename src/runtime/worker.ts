import { setMaxListeners } from 'node:events';
import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../store/redis.js';
import type { RuntimeContext } from './context.js';
import { handleShardError } from './handle-failure.js';
import { bindJob, InvalidJobError, JOB_SCHEDULE, runRefSchema, type JobHandlers } from './jobs.js';
import { observeShards } from './observe-shard.js';
import { processBatch } from './process-batch.js';
import { processPage } from './process-page.js';
import { RunCancellation } from './run-cancellation.js';
import { processSweep } from './process-sweep.js';

export interface WorkerSettings {
  queues: readonly { name: string; concurrency: number }[];
  lockDurationMs: number;
  stalledIntervalMs: number;
}

export interface SluiceWorker {
  /** Stops taking jobs, lets in-flight ones finish, flushes progress. */
  close(): Promise<void>;
  /** Resolves once every queue's worker is connected and taking jobs. */
  ready(): Promise<void>;
}

export function startWorkers(rt: RuntimeContext, connection: RedisClient, prefix: string, settings: WorkerSettings): SluiceWorker {
  const cancellation = new RunCancellation(connection, rt.keys.cancelChannel);
  const handlers: JobHandlers = {
    page: (data, _job, signal) => processPage(rt, data, signal),
    batch: (data, job, signal) => processBatch(rt, data, job.opts.priority ?? 0, signal),
    sweep: (data) => processSweep(rt, data),
    schedule: async (data) => void (await rt.fireSchedule?.(data)),
  };
  // Three parameters: BullMQ passes its abort signal only to a processor that declares it.
  const process = async (job: Job, token: string | undefined, bullSignal: AbortSignal | undefined) => {
    let run: (signal: AbortSignal) => Promise<void>;
    try {
      run = bindJob(job, handlers);
    } catch (error) {
      if (error instanceof InvalidJobError) await failRunOf(rt, job, error);
      throw error;
    }
    // A schedule's job belongs to no run: BullMQ's own retries are all it needs.
    if (job.name === JOB_SCHEDULE) return run(bullSignal ?? new AbortController().signal);
    const { runId, pipelineId, userId } = runRefSchema.parse(job.data);
    const shard = cancellation.track(rt.keys.run(pipelineId, userId, runId).state);
    try {
      const signal = bullSignal ? AbortSignal.any([shard.signal, bullSignal]) : shard.signal;
      // Every call a shard has in flight listens on its signal (a page's fetches, a batch's LLM calls,
      // and the OpenAI client never removes its listener): no MaxListenersExceededWarning for those.
      setMaxListeners(0, signal);
      await run(signal);
    } catch (error) {
      // The run was cancelled: whatever the aborted call threw, the shard just ends (its run's
      // status already stops every later shard), with no retry and no failure counted.
      if (shard.signal.aborted) return;
      await handleShardError(rt, job, error, token);
    } finally {
      shard.release();
    }
  };
  const workers = settings.queues.map(
    (queue) =>
      new Worker(queue.name, observeShards(process, rt.metrics, rt.log), {
        connection,
        prefix,
        concurrency: queue.concurrency,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: 5,
      }),
  );
  for (const worker of workers) worker.on('error', (error) => logWorkerError(rt, error));
  return {
    async ready() {
      await Promise.all([cancellation.ready(), ...workers.map((w) => w.waitUntilReady())]);
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      cancellation.close();
      await rt.progress.flush();
    },
  };
}

/** Connection failures are told once per outage (RedisHealth); anything else gets a line each. */
function logWorkerError(rt: RuntimeContext, error: Error): void {
  const unexpected = rt.health.report(error);
  if (unexpected) rt.log.error({ err: unexpected.message }, 'worker error');
}

/**
 * An invalid job fails at once, without retries (BullMQ's UnrecoverableError). When its data still
 * names a run, that run fails with the reason too, rather than waiting forever for the lost shard.
 */
async function failRunOf(rt: RuntimeContext, job: Job, error: InvalidJobError): Promise<void> {
  const ref = runRefSchema.safeParse(job.data);
  if (!ref.success || (await rt.runs.status(ref.data)) !== 'running') return;
  const { changed, run } = await rt.runs.fail(ref.data, error.message);
  if (changed) await rt.progress.publishRun('run.failed', run);
}
