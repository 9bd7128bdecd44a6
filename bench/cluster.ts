/**
 * Redis Cluster beside one Redis: the same run and the same progress delivery on both.
 *
 *   npm run bench:cluster            (records 100,000; watched users 300; markers 600)
 *   BENCH_RECORDS=50000 BENCH_USERS=1000 npm run bench:cluster
 *
 * Starts a 3-master cluster (redis-server --cluster-enabled, on free ports, stopped at the end) and
 * uses the Redis at REDIS_URL (default 127.0.0.1:6379, own prefix, cleaned up) as the single one.
 * Run: one in-process worker (concurrency 50) over a no-op pipeline into the Redis sink, records/s.
 * Delivery: the progress server's hub watches BENCH_USERS users; markers are published round-robin
 * every 5 ms on a connection of their own, noting the time before each XADD; latency = receipt by
 * the hub's listener - that time. Prints figures, asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { RunSnapshot } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { ProgressPublisher } from '../src/progress/publisher.js';
import { ProgressHub } from '../src/server/hub.js';
import { createKeys } from '../src/store/keys.js';
import { createRedis } from '../src/store/redis.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { benchConfig, PIPELINE_ID } from './setup.js';
import { deletePrefixAt, intEnv, printTable, runToEnd } from './support.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RECORDS = intEnv('BENCH_RECORDS', 100_000);
const USERS = intEnv('BENCH_USERS', 300);
const MARKERS = intEnv('BENCH_MARKERS', 600);
const MARKER_EVERY_MS = 5;

interface Figures {
  target: string;
  recordsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
}

async function measure(target: string, url: string): Promise<Figures> {
  const prefix = `bench-cluster-${Date.now().toString(36)}`;
  const sluice = createSluice({ ...benchConfig(prefix, RECORDS), redis: url });
  try {
    const worker = sluice.startWorker();
    await worker.ready();
    const { run, wallMs } = await runToEnd(sluice, PIPELINE_ID, 'bench-user');
    if (run.status !== 'completed') throw new Error(`the run on ${target} ended ${run.status}`);
    await worker.close();
    const latencies = await deliveryLatencies(sluice, url, prefix);
    return { target, recordsPerSecond: Math.round(RECORDS / (wallMs / 1000)), ...percentiles(latencies) };
  } finally {
    await sluice.close();
    if (url === REDIS_URL) await deletePrefixAt(url, prefix);
  }
}

async function deliveryLatencies(sluice: Sluice, url: string, prefix: string): Promise<number[]> {
  const hub = new ProgressHub(sluice, { blockMs: 5000, count: 100, connectionName: 'bench-hub' });
  const publisherRedis = createRedis(url);
  const publisher = new ProgressPublisher(publisherRedis, createKeys(prefix), { maxEvents: 100, intervalMs: 0, maxRuns: 5 });
  /** Send times per user, oldest first: a user's markers arrive in order. */
  const sentAt = new Map<string, number[]>();
  const latencies: number[] = [];
  let received = 0;
  let allReceived!: () => void;
  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const users = Array.from({ length: USERS }, (_, i) => `watcher-${i}`);
  const unsubscribe = users.map((user) =>
    hub.subscribe(user, '0-0', (messages) => {
      const now = performance.now();
      for (const _message of messages) {
        const at = sentAt.get(user)?.shift();
        if (at === undefined) continue;
        latencies.push(now - at);
        if (++received === MARKERS) allReceived();
      }
    }),
  );
  try {
    // Let the hub's first read go out before the markers start.
    await delay(200);
    for (let i = 0; i < MARKERS; i++) {
      const user = users[i % USERS]!;
      const seq = Math.floor(i / USERS) + 1;
      sentAt.set(user, [...(sentAt.get(user) ?? []), performance.now()]);
      await publisher.publishRun(seq === 1 ? 'run.started' : 'run.progress', marker(user, seq));
      await delay(MARKER_EVERY_MS);
    }
    await Promise.race([done, delay(30_000)]);
    if (received < MARKERS) throw new Error(`only ${received} of ${MARKERS} markers arrived`);
    return latencies;
  } finally {
    for (const stop of unsubscribe) stop();
    await hub.close();
    publisherRedis.disconnect();
  }
}

function marker(userId: string, seq: number): RunSnapshot {
  return {
    runId: `marker-${userId}`,
    pipeline: PIPELINE_ID,
    userId,
    status: 'running',
    startedAt: new Date().toISOString(),
    seq,
    counts: { discovered: 1, processed: 0, skipped: 0, failed: 0, written: 0, total: 1 },
  };
}

function percentiles(values: number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

const cluster = await startRedisCluster();
try {
  const rows: Figures[] = [];
  rows.push(await measure('one Redis', REDIS_URL));
  rows.push(await measure('3-master cluster', cluster.url));
  console.log(`${RECORDS.toLocaleString('en')} records, one worker (concurrency 50); ${USERS} watched users, ${MARKERS} markers every ${MARKER_EVERY_MS} ms`);
  printTable(
    ['target          ', 'records/s', 'delivery p50 ms', 'p95 ms', 'p99 ms'],
    rows.map((r) => [r.target, r.recordsPerSecond, r.p50, r.p95, r.p99]),
  );
} finally {
  await cluster.stop();
}
