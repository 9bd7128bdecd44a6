/**
 * Schedules benchmark: 10,000 users on a 6-hour re-sync schedule.
 *
 *   npm run bench:schedules                        (10,000 users, a wave of 2,000 re-syncs)
 *   BENCH_USERS=1000 BENCH_WAVE=500 npm run bench:schedules
 *
 * 1. Redis memory for the schedules: MEMORY USAGE summed over every key the schedules created
 *    (Sluice's records, BullMQ's scheduler hashes and sorted set, each scheduler's next delayed job).
 * 2. Spread of first fire times: per minute over the 6 h interval, peak vs mean, and the peak second.
 * 3. First-batch latency of a new user while a wave of re-syncs runs: the wave's runs are started
 *    as a schedule would start them (trigger 'schedule'), a worker works through them, and once the
 *    wave is under way a new user starts onboarding; latency = start -> first processed record in
 *    their progress. Control: the same with the new user's run started as one more re-sync.
 * Prints figures, asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { synthetic } from '../connectors/synthetic/index.js';
import { deletePrefixAt, intEnv } from './support.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const USERS = intEnv('BENCH_USERS', 10_000);
const WAVE = intEnv('BENCH_WAVE', 2000);
const EVERY_MS = 6 * 3600_000;

const pipeline = definePipeline({
  id: 'resync',
  source: synthetic.records({ count: 40, pageSize: 20 }),
  sharding: { batchSize: 10 },
  schedule: { every: '6h' },
});

async function main(): Promise<void> {
  const prefix = `bench-schedules-${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const open = () => createSluice(defineConfig({ prefix, redis: REDIS_URL, pipelines: [pipeline], progress: { intervalMs: 100 } }));
  let sluice = open();
  try {
    console.log(`schedules bench: ${USERS} users every 6 h, wave of ${WAVE} re-syncs`);
    const t0 = performance.now();
    for (let i = 0; i < USERS; i += 250) {
      await Promise.all(
        Array.from({ length: Math.min(250, USERS - i) }, (_, j) => sluice.schedules.upsert({ pipelineId: 'resync', userId: `user-${i + j}`, every: '6h' })),
      );
    }
    console.log(`upserted ${USERS} schedules in ${((performance.now() - t0) / 1000).toFixed(1)} s (${Math.round(USERS / ((performance.now() - t0) / 1000))}/s)`);

    const bytes = await memoryOf(redis, [`${prefix}:schedules:*`, `{${prefix}}:default:repeat*`, `{${prefix}}:default:delayed`]);
    console.log(`redis memory for schedules: ${(bytes.total / 1024 / 1024).toFixed(1)} MiB over ${bytes.keys} keys, ${Math.round(bytes.total / USERS)} B per user`);

    const schedules = await sluice.schedules.list();
    const perMinute = new Array<number>(EVERY_MS / 60_000).fill(0);
    const perSecond = new Map<number, number>();
    for (const s of schedules) {
      const phase = Date.parse(s.nextRunAt!) % EVERY_MS;
      perMinute[Math.floor(phase / 60_000)]! += 1;
      const second = Math.floor(phase / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    const mean = schedules.length / perMinute.length;
    console.log(
      `fire times per minute over 6 h: mean ${mean.toFixed(1)}, peak ${Math.max(...perMinute)}, min ${Math.min(...perMinute)} ` +
        `(peak/mean ${(Math.max(...perMinute) / mean).toFixed(2)}); busiest second: ${Math.max(...perSecond.values())} users`,
    );

    // A restart upserting the same definitions: still one scheduler each.
    await sluice.close();
    sluice = open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => sluice.schedules.upsert({ pipelineId: 'resync', userId: `user-${i}`, every: '6h' })));
    const { Queue } = await import('bullmq');
    // BullMQ leaves a connection it was given open: this one is closed below.
    const queueConnection = redis.duplicate();
    const queue = new Queue('default', { connection: queueConnection, prefix: `{${prefix}}` });
    console.log(`after a restart re-upserting 100 of them: ${await queue.getJobSchedulersCount()} schedulers, ${await queue.getDelayedCount()} delayed jobs`);

    for (const mode of ['onboarding', 'as a re-sync (control)'] as const) {
      // Each measurement starts from an empty queue (the previous wave's leftovers, the schedulers' next jobs).
      await queue.drain(true);
      const latency = await newcomerLatency(sluice, mode === 'onboarding' ? 'onboarding' : 'schedule', mode === 'onboarding' ? 'wave' : 'ctrl');
      console.log(`new user's first batch while ${WAVE} re-syncs run, started ${mode}: ${latency.firstBatchMs.toFixed(0)} ms (wave ${latency.waveDone}/${WAVE} runs done by then)`);
    }
    await queue.close();
    queueConnection.disconnect();
  } finally {
    await sluice.close();
    redis.disconnect();
    await deletePrefixAt(REDIS_URL, prefix);
  }
}

/** Sums MEMORY USAGE over the keys matching the patterns. */
async function memoryOf(redis: Redis, patterns: string[]): Promise<{ total: number; keys: number }> {
  let total = 0;
  let keys = 0;
  for (const pattern of patterns) {
    for await (const batch of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) {
      const pipe = redis.pipeline();
      for (const key of batch) pipe.memory('USAGE', key, 'SAMPLES', '0');
      for (const [, size] of (await pipe.exec()) ?? []) total += Number(size ?? 0);
      keys += batch.length;
    }
  }
  return { total, keys };
}

async function newcomerLatency(sluice: Sluice, trigger: 'onboarding' | 'schedule', tag: string) {
  const users = Array.from({ length: WAVE }, (_, i) => `${tag}-${i}`);
  for (let i = 0; i < users.length; i += 250) {
    await Promise.all(users.slice(i, i + 250).map((userId) => sluice.startRun('resync', { userId, trigger: 'schedule' })));
  }
  const worker = sluice.startWorker({ concurrency: 8 });
  await worker.ready();
  // The wave is under way once its first run is done.
  await firstProcessed(sluice, users[0]!);
  const newcomer = `${tag}-newcomer`;
  const started = performance.now();
  await sluice.startRun('resync', { userId: newcomer, trigger });
  await firstProcessed(sluice, newcomer);
  const firstBatchMs = performance.now() - started;
  const runs = (await Promise.all(users.map((u) => sluice.status(u)))).flat();
  await worker.close();
  return { firstBatchMs, waveDone: runs.filter((r) => r.status === 'completed').length };
}

/** Waits on the user's progress stream for a processed record. */
async function firstProcessed(sluice: Sluice, userId: string): Promise<void> {
  let after: string | undefined = '0';
  for (;;) {
    for (const event of await sluice.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if ('run' in event && event.run.counts.processed > 0) return;
    }
  }
}

await main();
