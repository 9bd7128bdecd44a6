import { Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RuntimeContext } from './context.js';
import { handleShardError } from './handle-failure.js';
import { JOB_BATCH, JOB_PAGE, type BatchJobData, type PageJobData } from './jobs.js';
import { processBatch } from './process-batch.js';
import { processPage } from './process-page.js';

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

export function startWorkers(rt: RuntimeContext, connection: Redis, prefix: string, settings: WorkerSettings): SluiceWorker {
  const process = async (job: Job, token?: string) => {
    try {
      if (job.name === JOB_PAGE) await processPage(rt, job as Job<PageJobData>);
      else if (job.name === JOB_BATCH) await processBatch(rt, job as Job<BatchJobData>);
      else throw new Error(`unknown job kind "${job.name}"`);
    } catch (error) {
      await handleShardError(rt, job, error, token);
    }
  };
  const workers = settings.queues.map(
    (queue) =>
      new Worker(queue.name, process, {
        connection,
        prefix,
        concurrency: queue.concurrency,
        lockDuration: settings.lockDurationMs,
        stalledInterval: settings.stalledIntervalMs,
        maxStalledCount: 5,
      }),
  );
  for (const worker of workers) worker.on('error', (error) => console.error(`[sluice] worker error: ${error.message}`));
  return {
    async ready() {
      await Promise.all(workers.map((w) => w.waitUntilReady()));
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await rt.progress.flush();
    },
  };
}
