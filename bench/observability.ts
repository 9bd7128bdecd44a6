/**
 * What the instrumentation costs per shard, in process (no Redis): a no-op processor called
 * directly, then wrapped by observeShards (span through the no-op OpenTelemetry API, duration
 * histogram, outcome counter, a debug log call below the level), plus the per-batch record and
 * step observations. Also the size and render time of a worker's /metrics page. Prints figures.
 *
 *   npx tsx bench/observability.ts        (BENCH_SHARDS=200000 by default)
 */
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { observeShards } from '../src/runtime/observe-shard.js';
import { createPrometheusMetrics } from '../src/runtime/prometheus.js';
import { intEnv } from './support.js';

const shards = intEnv('BENCH_SHARDS', 200_000);
const { registry, metrics } = createPrometheusMetrics({ queues: () => [], redis: {} as Redis, pipelines: [], limits: { 'openai:gpt-4o-mini': { rpm: 5000, tpm: 2_000_000 } }, redisUp: () => true });
const job = { name: 'batch', id: 'r1.s0p0b0', attemptsMade: 0, data: { runId: 'r1', userId: 'ada', pipelineId: 'p' } } as unknown as Job;
const noop = async () => {};
const observed = observeShards(noop, metrics, pino({ level: 'info' }));

async function time(label: string, fn: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 10_000; i++) await fn(); // warm-up
  const started = process.hrtime.bigint();
  for (let i = 0; i < shards; i++) await fn();
  const us = Number(process.hrtime.bigint() - started) / 1000 / shards;
  console.log(`${label.padEnd(44)} ${us.toFixed(2)} µs per shard`);
  return us;
}

const bare = await time('no-op processor', () => noop());
const wrapped = await time('observeShards(no-op)', () => observed(job, undefined, undefined));
const batch = await time('observeShards + records + 2 steps', async () => {
  await observed(job, undefined, undefined);
  metrics.records('p', { processed: 100, skipped: 0, failed: 0, written: 100, deleted: 0 });
  metrics.stepTimed('p', 'summarize', 0.01);
  metrics.stepTimed('p', 'embed', 0.01);
});
console.log(`instrumentation per shard: ${(wrapped - bare).toFixed(2)} µs (shard only), ${(batch - bare).toFixed(2)} µs (with a batch's records and steps)`);
const started = process.hrtime.bigint();
const page = await registry.metrics();
console.log(`/metrics page: ${page.length.toLocaleString('en-US')} bytes, ${page.split('\n').filter((l) => l && !l.startsWith('#')).length} samples, rendered in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`);
