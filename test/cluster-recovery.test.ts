import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, type RunEvent } from '../src/index.js';
import { createSluice, type Sluice, type StateLoss } from '../src/runtime/index.js';
import { createKeys } from '../src/store/keys.js';
import { createRedis, type RedisClient } from '../src/store/redis.js';
import { useRedisCluster } from './support/use-redis-cluster.js';
import { uniquePrefix } from './support/redis.js';
import { gatedPipeline } from './support/gated-pipeline.js';
import { synthetic } from './support/synthetic.js';
import { until, waitForRun } from './support/wait.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/e2e.config.ts', import.meta.url));
/** What a command sent to the wrong node, or spanning slots, says. */
const CLUSTER_ERROR = /MOVED|CROSSSLOT|All keys in the pipeline/;

const cluster = useRedisCluster();
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function clusterClient(): RedisClient {
  const redis = createRedis(cluster().url);
  cleanups.push(() => redis.disconnect());
  return redis;
}

/** A pino logger whose JSON lines the test reads. */
function capturedLog(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

/** A user whose run keys lie on another master than the prefix-wide keys (the running-runs index, the lease). */
async function userAwayFrom(prefix: string, pipelineId: string): Promise<string> {
  const keys = createKeys(prefix);
  const indexNode = await cluster().nodeOf(keys.runningRuns);
  for (let i = 0; ; i++) {
    const user = `u${i}`;
    if ((await cluster().nodeOf(keys.run(pipelineId, user, 'r').state)) !== indexNode) return user;
  }
}

describe('Redis Cluster: recovery', () => {
  it('pending shards whose jobs were deleted are queued again by the reconciler and the run completes, with no cluster errors logged', async () => {
    const prefix = uniquePrefix('cluster-reconcile');
    // The first batch's steps wait for the test: the only worker slot is taken while jobs are deleted.
    const { pipeline, stepBlocked, release } = gatedPipeline();
    const { lines, logger } = capturedLog();
    const sluice: Sluice = createSluice(
      defineConfig({ prefix, redis: cluster().url, pipelines: [pipeline], worker: { concurrency: 1, reconcileIntervalMs: 100 }, progress: { intervalMs: 20 } }),
      { logger },
    );
    cleanups.push(() => sluice.close());
    const user = await userAwayFrom(prefix, 'heal');
    sluice.startWorker();
    const { runId } = await sluice.startRun('heal', { userId: user });
    await stepBlocked;

    const queue = new Queue(pipeline.queue, { connection: clusterClient(), prefix: `{${prefix}}` });
    cleanups.push(() => queue.close());
    const queued = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(queued.length).toBeGreaterThan(0);
    for (const job of queued) await job.remove();
    release();

    const done = await waitForRun(sluice, user, runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: 60, failed: 0, total: 60 });
    expect(done.counts.processed + done.counts.skipped).toBe(60);
    expect(await sluice.documents('heal', user)).toHaveLength(60);
    const notes = (await sluice.events(user)).flatMap((e: RunEvent) => (e.type === 'run.progress' && e.note ? [e.note] : []));
    expect(notes.join('\n')).toMatch(/re-queued \d+ pending shard\(s\) that had no job/);
    // The reconciler's index forgets the ended run (its next pass reads it and drops it).
    const redis = clusterClient();
    await until(() => redis.hlen(createKeys(prefix).runningRuns), (n) => n === 0, 'the ended run to leave the running-runs index');
    // The worker's log was read (its run line is there), and no line speaks of a cluster error.
    expect(lines.some((line) => line.includes(runId) && line.includes('run completed'))).toBe(true);
    expect(lines.filter((line) => CLUSTER_ERROR.test(line))).toEqual([]);
  });

  it('a job failed in the queue outside Sluice\'s handler fails its run with that reason, found by the reconciler on a cluster', async () => {
    const prefix = uniquePrefix('cl-failed-out');
    const pipelines = [
      definePipeline({ id: 'idle', queue: 'elsewhere', source: synthetic.records({ count: 10, pageSize: 10 }) }),
      definePipeline({ id: 'served', queue: 'served', source: synthetic.records({ count: 1, pageSize: 1 }) }),
    ];
    const sluice = createSluice(defineConfig({ prefix, redis: cluster().url, pipelines, worker: { reconcileIntervalMs: 100 } }));
    cleanups.push(() => sluice.close());
    const user = await userAwayFrom(prefix, 'idle');
    const { runId } = await sluice.startRun('idle', { userId: user });
    // A BullMQ consumer outside Sluice takes the page job and fails it: no Sluice handler runs.
    const raw = new Worker('elsewhere', null, { connection: clusterClient(), prefix: `{${prefix}}`, autorun: false });
    cleanups.push(() => raw.close());
    const job = await raw.getNextJob('b-token');
    await job!.moveToFailed(new UnrecoverableError('taken by a foreign consumer'), 'b-token');
    sluice.startWorker({ pipelines: ['served'] });
    const done = await waitForRun(sluice, user, runId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe("shard s0p0 failed in the queue, outside Sluice's handler: taken by a foreign consumer");
  });

  it('the state marker: its key deleted on the cluster, onStateLost fires once and a worker process says so in one line', async () => {
    const prefix = uniquePrefix('cluster-epoch');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '20', REDIS_URL: cluster().url };
    const worker = await startWorkerProcess(CONFIG, env);
    cleanups.push(() => stopAllWorkerProcesses());
    const pipeline = definePipeline({ id: 'e2e', source: synthetic.records({ count: 20, pageSize: 10 }) });
    const sluice = createSluice(defineConfig({ prefix, redis: cluster().url, pipelines: [pipeline] }));
    cleanups.push(() => sluice.close());
    // A run on the cluster first: the marker is in use while Sluice works.
    const { runId } = await sluice.startRun('e2e', { userId: 'eve' });
    expect((await waitForRun(sluice, 'eve', runId)).status).toBe('completed');
    const losses: StateLoss[] = [];
    const lost = new Promise<StateLoss>((resolve) => sluice.onStateLost((loss) => (losses.push(loss), resolve(loss))));
    const marker = await until(() => sluice.stateMarker(), (m) => m !== null, 'the state marker');

    const redis = clusterClient();
    expect(await redis.del(createKeys(prefix).epoch)).toBe(1);

    expect((await lost).message).toMatch(/^Redis lost Sluice's state: its marker \S+:epoch (is gone|changed)/);
    await worker.waitForOutput(/Redis lost Sluice's state/);
    // Both adopted one new marker (SET NX): later checks find no change, so each says it once.
    const renewed = await sluice.stateMarker();
    expect(renewed).not.toBeNull();
    expect(renewed).not.toBe(marker);
    expect(losses).toHaveLength(1);
    expect(worker.output().match(/"code":"state_lost"/g)).toHaveLength(1);
    expect(worker.output()).not.toMatch(CLUSTER_ERROR);
  });
});
