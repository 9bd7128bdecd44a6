import { setMaxListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { WaitingError, Worker, type Job } from 'bullmq';
import type { RedisClient } from '../store/redis.js';
import type { RuntimeContext } from './context.js';
import { failRun, handleShardError } from './handle-failure.js';
import { bindJob, InvalidJobError, JOB_SCHEDULE, runRefSchema, type JobHandlers } from './jobs.js';
import { observeShards } from './observe-shard.js';
import { processBatch } from './process-batch.js';
import { processPage } from './process-page.js';
import { RunCancellation } from './run-cancellation.js';
import { SlotGovernor } from './slot-governor.js';
import { processSweep } from './process-sweep.js';
import { failedOutsideReason, startReconciler, type ReconcilerOptions } from './reconciler.js';

export interface WorkerSettings {
  queues: readonly { name: string; concurrency: number }[];
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** How long `close()` waits for in-flight jobs before handing them back to the queue. */
  drainTimeoutMs: number;
  /** The run reconciler this process takes part in (leader-elected); undefined: none. */
  reconciler?: ReconcilerOptions;
}

/**
 * How fast a crashed worker's jobs move to another one. BullMQ renews a job's lock every half
 * lock duration while the job runs (long steps keep it), and every stall check marks the active
 * jobs it sees; the next check moves the marked jobs whose lock has expired back to waiting. A
 * worker killed at t has its locks expire by t + 5 s and its jobs waiting again by t + 5 + 3 s,
 * within 10 s. The cost: a process whose event loop is blocked for over 5 s loses its locks and
 * its jobs run twice (shards are idempotent), and each worker renews its locks every 2.5 s.
 */
export const DEFAULT_WORKER_TIMINGS = { lockDurationMs: 5_000, stalledIntervalMs: 3_000, drainTimeoutMs: 10_000, reconcileIntervalMs: 5_000 };

/** A run whose state has not changed for this long is failed by the reconciler. */
export const DEFAULT_NO_PROGRESS_TIMEOUT_MS = 30 * 60_000;

/** A job this process is running, and how to give it back unfinished. */
interface InFlight {
  job: Job;
  token: string | undefined;
  handBack: AbortController;
}

export interface SluiceWorker {
  /**
   * Stops taking jobs and lets in-flight ones finish for up to the drain timeout; jobs still running
   * then are aborted and handed back to the queue (another worker takes them). Flushes progress.
   * Resolves with the number of jobs handed back.
   */
  close(): Promise<number>;
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
  const inFlight = new Map<string, InFlight>();
  const governors = new Map(settings.queues.map((q) => [q.name, new SlotGovernor(q.concurrency)]));
  /** Each queue's worker takes as many jobs at once as its governor allows (see SlotGovernor). */
  const governed = (job: Job, error?: unknown) => {
    const slots = governors.get(job.queueName)?.ended(error);
    const worker = workers.find((w) => w.name === job.queueName);
    if (slots !== undefined && worker && worker.concurrency !== slots) worker.concurrency = slots;
  };
  // Three parameters: BullMQ passes its abort signal only to a processor that declares it.
  const process = async (job: Job, token: string | undefined, bullSignal: AbortSignal | undefined) => {
    const key = `${job.queueName}:${job.id}`;
    const handBack = new AbortController();
    inFlight.set(key, { job, token, handBack });
    try {
      await processJob(job, token, handBack.signal, AbortSignal.any([handBack.signal, ...(bullSignal ? [bullSignal] : [])]));
    } catch (error) {
      // Handed back at the drain deadline: the job is waiting again; BullMQ must not finish it.
      if (handBack.signal.aborted) throw new WaitingError();
      throw error;
    } finally {
      inFlight.delete(key);
    }
    if (handBack.signal.aborted) throw new WaitingError();
  };
  const processJob = async (job: Job, token: string | undefined, handedBack: AbortSignal, jobSignal: AbortSignal) => {
    let run: (signal: AbortSignal) => Promise<void>;
    try {
      run = bindJob(job, handlers);
    } catch (error) {
      if (error instanceof InvalidJobError) await failRunOf(rt, job, error);
      throw error;
    }
    // A schedule's job belongs to no run: BullMQ's own retries are all it needs.
    if (job.name === JOB_SCHEDULE) return run(jobSignal);
    const { runId, pipelineId, userId } = runRefSchema.parse(job.data);
    const shard = cancellation.track(rt.keys.run(pipelineId, userId, runId).state);
    try {
      const signal = AbortSignal.any([shard.signal, jobSignal]);
      // Every call a shard has in flight listens on its signal (a page's fetches, a batch's LLM calls,
      // and the OpenAI client never removes its listener): no MaxListenersExceededWarning for those.
      setMaxListeners(0, signal);
      await run(signal);
      governed(job);
    } catch (error) {
      // The run was cancelled: whatever the aborted call threw, the shard just ends (its run's
      // status already stops every later shard), with no retry and no failure counted.
      if (shard.signal.aborted) return;
      // A job handed back at shutdown is not a failure either: another worker runs it again.
      if (handedBack.aborted) throw error;
      governed(job, error);
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
  const reconciler = settings.reconciler ? startReconciler(rt, settings.reconciler) : undefined;
  let closed: Promise<number> | undefined;
  for (const worker of workers) {
    worker.on('error', (error) => logWorkerError(rt, error));
    // BullMQ fails a job that stalled too often when a worker next takes it, without running the
    // processor: no Sluice handler sees it, so its run is failed here (and by the reconciler otherwise).
    worker.on('failed', (job, error) => {
      if (job?.deferredFailure) {
        void failRunOutside(rt, job, error.message).catch((cause: unknown) =>
          rt.log.error({ jobId: job.id, err: cause instanceof Error ? cause.message : String(cause) }, 'could not fail the run of a job BullMQ failed'),
        );
      }
    });
  }
  return {
    async ready() {
      await Promise.all([cancellation.ready(), ...workers.map((w) => w.waitUntilReady())]);
    },
    close() {
      return (closed ??= (async () => {
        await reconciler?.close();
        const closing = Promise.all(workers.map((w) => w.close()));
        // The deadline timer keeps the process up while jobs drain, and is cleared as soon as they have.
        const deadline = new AbortController();
        const expired = delay(settings.drainTimeoutMs, false, { signal: deadline.signal }).catch(() => false);
        const drained = await Promise.race([closing.then(() => true), expired]).finally(() => deadline.abort());
        const handedBack = drained ? 0 : await handBackAll(inFlight);
        cancellation.close();
        await rt.progress.flush();
        return handedBack;
      })());
    },
  };
}

/** Connection failures are told once per outage (RedisHealth); anything else gets a line each. */
function logWorkerError(rt: RuntimeContext, error: Error): void {
  const unexpected = rt.health.report(error);
  if (unexpected) rt.log.error({ err: unexpected.message }, 'worker error');
}

/**
 * Past the drain deadline: aborts every job still running here and moves it back to waiting (its
 * lock is released with it), so another worker picks it up now instead of after a stall check. A
 * step that ignores its abort signal keeps running until the process exits, but its job is no
 * longer this worker's: what it would finish is dropped (WaitingError), and writes are idempotent.
 */
async function handBackAll(inFlight: Map<string, InFlight>): Promise<number> {
  let handed = 0;
  await Promise.all(
    [...inFlight.values()].map(async ({ job, token, handBack }) => {
      handBack.abort(new Error('worker shutting down: job handed back to the queue'));
      try {
        await job.moveToWait(token);
        handed++;
      } catch {
        // It finished (or lost its lock) in the meantime: nothing to hand back.
      }
    }),
  );
  return handed;
}

/** A job BullMQ failed on its own: its run fails, naming the shard and BullMQ's reason. */
async function failRunOutside(rt: RuntimeContext, job: Job, reason: string): Promise<void> {
  const ref = runRefSchema.safeParse(job.data);
  if (!ref.success || job.id === undefined) return;
  const shard = job.id.slice(ref.data.runId.length + 1);
  await failRun(rt, ref.data, failedOutsideReason(shard, reason), new Error(reason));
}

/**
 * An invalid job fails at once, without retries (BullMQ's UnrecoverableError). When its data still
 * names a run, that run fails with the reason too, rather than waiting forever for the lost shard.
 */
async function failRunOf(rt: RuntimeContext, job: Job, error: InvalidJobError): Promise<void> {
  const ref = runRefSchema.safeParse(job.data);
  if (!ref.success || (await rt.runs.status(ref.data)) !== 'running') return;
  await failRun(rt, ref.data, error.message, error);
}
