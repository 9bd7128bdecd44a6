import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, type RunEvent } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix, withStore } from './support/redis.js';
import { gatedPipeline } from './support/gated-pipeline.js';
import { synthetic } from './support/synthetic.js';
import { until, waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
});

/** A queue handle of the test's own, on Sluice's BullMQ prefix. */
function queueOf(name: string): Queue {
  const queue = new Queue(name, { connection: { url: REDIS_URL }, prefix: `{${prefix}}` });
  closers.push(() => queue.close());
  return queue;
}

/** A pipeline nobody serves (its own queue), next to one a worker serves: that worker runs the reconciler. */
function idleAndServed(idleQueue: string) {
  return [
    definePipeline({ id: 'idle', queue: idleQueue, source: synthetic.records({ count: 10, pageSize: 10 }) }),
    definePipeline({ id: 'served', queue: 'served', source: synthetic.records({ count: 1, pageSize: 1 }) }),
  ];
}

describe('run reconciler', () => {
  it('pending shards whose jobs were deleted (pages and batches) are queued again and the run completes', async () => {
    prefix = uniquePrefix('reconcile');
    // The first batch's steps wait for the test: the only worker slot is taken while jobs are deleted.
    const { pipeline, stepBlocked, release } = gatedPipeline();
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], worker: { concurrency: 1, reconcileIntervalMs: 100 }, progress: { intervalMs: 20 } }));
    sluice.startWorker();
    const { runId } = await sluice.startRun('heal', { userId: 'rita' });
    await stepBlocked;

    const queue = queueOf(pipeline.queue);
    const queued = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(queued.length).toBeGreaterThan(0);
    const lost = queued.map((job) => job.id!.slice(runId.length + 1));
    for (const job of queued) await job.remove();
    release();

    const done = await waitForRun(sluice, 'rita', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: 60, failed: 0, total: 60 });
    expect(done.counts.processed + done.counts.skipped).toBe(60);
    await withStore(prefix, async ({ redis, keys }) => expect(await redis.hlen(keys.sink('heal', 'rita').documents)).toBe(60));
    const notes = (await sluice.events('rita')).flatMap((e: RunEvent) => (e.type === 'run.progress' && e.note ? [e.note] : []));
    expect(notes.join('\n')).toMatch(/re-queued \d+ pending shard\(s\) that had no job/);
    // Every lost shard came back, or was covered by its page read again.
    expect(lost.length).toBeGreaterThan(0);
  });

  it('a job BullMQ failed for stalling more than allowed fails its run with that reason', async () => {
    prefix = uniquePrefix('stall-limit');
    sluice = createSluice(defineConfig({ prefix, pipelines: idleAndServed('stalls'), worker: { reconcileIntervalMs: 100 } }));
    sluice.startWorker({ pipelines: ['served'] });
    const { runId } = await sluice.startRun('idle', { userId: 'sam' });
    // A BullMQ worker outside Sluice takes the page job and never renews its lock; its stall check
    // (no stall allowed) marks the job to fail, and the next worker to take it (Sluice's) has BullMQ
    // fail it at once, without running any Sluice handler.
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const raw = new Worker('stalls', null, { connection, prefix: `{${prefix}}`, autorun: false, lockDuration: 300, stalledInterval: 100, maxStalledCount: 0 });
    closers.push(async () => {
      await raw.close();
      connection.disconnect();
    });
    const stalled = new Promise((resolve) => raw.once('stalled', resolve));
    expect((await raw.getNextJob('a-token'))?.id).toBe(`${runId}.s0p0`);
    await raw.startStalledCheckTimer();
    expect(await stalled).toBe(`${runId}.s0p0`);
    sluice.startWorker();

    const done = await waitForRun(sluice, 'sam', runId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe("shard s0p0 failed in the queue, outside Sluice's handler: job stalled more than allowable limit");
  });

  it('a job failed in the queue while no Sluice worker saw it is found by the reconciler, which fails the run', async () => {
    prefix = uniquePrefix('failed-outside');
    sluice = createSluice(defineConfig({ prefix, pipelines: idleAndServed('elsewhere'), worker: { reconcileIntervalMs: 100 } }));
    const { runId } = await sluice.startRun('idle', { userId: 'uma' });
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const raw = new Worker('elsewhere', null, { connection, prefix: `{${prefix}}`, autorun: false });
    closers.push(async () => {
      await raw.close();
      connection.disconnect();
    });
    const job = await raw.getNextJob('b-token');
    await job!.moveToFailed(new UnrecoverableError('taken by a foreign consumer'), 'b-token');
    sluice.startWorker({ pipelines: ['served'] });
    const done = await waitForRun(sluice, 'uma', runId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe("shard s0p0 failed in the queue, outside Sluice's handler: taken by a foreign consumer");
  });

  it('one worker process leads at a time, and a leader that stops hands over to another', async () => {
    prefix = uniquePrefix('lease');
    const config = defineConfig({ prefix, pipelines: idleAndServed('lease-q'), worker: { reconcileIntervalMs: 50 } });
    sluice = createSluice(config);
    const other = createSluice(config);
    closers.push(() => other.close());
    const holder = () => withStore(prefix, ({ redis, keys }) => redis.get(keys.reconcilerLease));
    const first = sluice.startWorker({ pipelines: ['served'] });
    const leader = await until(holder, (id) => id !== null, 'a leader');
    other.startWorker({ pipelines: ['served'] });
    // The second process's passes find the lease held: it stays the first one's while that one runs.
    const { runId } = await other.startRun('idle', { userId: 'val' });
    await until(() => withStore(prefix, ({ redis, keys }) => redis.hget(keys.runningRuns, JSON.stringify(['idle', 'val', runId]))), (seen) => seen !== null && JSON.parse(seen).seq > 0, 'a pass');
    expect(await holder()).toBe(leader);
    await first.close();
    const next = await until(holder, (id) => id !== null && id !== leader, 'a new leader');
    expect(next).not.toBe(leader);
  });

  it('a run with no progress past runs.noProgressTimeoutMs fails with a reason that says so', async () => {
    prefix = uniquePrefix('no-progress');
    sluice = createSluice(
      defineConfig({ prefix, pipelines: idleAndServed('nobody'), worker: { reconcileIntervalMs: 100 }, runs: { noProgressTimeoutMs: 300 } }),
    );
    const { runId } = await sluice.startRun('idle', { userId: 'tom' });
    sluice.startWorker({ pipelines: ['served'] });
    const done = await waitForRun(sluice, 'tom', runId);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^run timed out: no progress for \d+ s \(runs\.noProgressTimeoutMs is 0\.3 s\)$/);
  });
});
