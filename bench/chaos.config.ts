/**
 * Config of the chaos benchmark (bench/chaos.ts), for its worker processes and itself; sizes from
 * the environment: CHAOS_PREFIX, CHAOS_BIG (records of the big run), CHAOS_SMALL (records of each
 * small run), CHAOS_STEP_MS (simulated work per record, default 500), CHAOS_BATCH (records per batch, default 25).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { defineConfig, definePipeline } from '../src/index.js';
import { synthetic } from '../connectors/synthetic/index.js';

const env = process.env;
const prefix = env.CHAOS_PREFIX;
if (!prefix) throw new Error('CHAOS_PREFIX is not set');
// Every record of a batch waits this long, in parallel: like one LLM call per record.
const stepMs = Number(env.CHAOS_STEP_MS ?? 500);
const batchSize = Number(env.CHAOS_BATCH ?? 25);
const work = async <T>(record: T): Promise<T> => (stepMs > 0 ? (await delay(stepMs), record) : record);

export default defineConfig({
  prefix,
  pipelines: [
    definePipeline({ id: 'big', source: synthetic.records({ count: Number(env.CHAOS_BIG), pageSize: 500, perUser: true }), sharding: { batchSize }, steps: (records) => records.map(work) }),
    definePipeline({ id: 'small', source: synthetic.records({ count: Number(env.CHAOS_SMALL), pageSize: 500, perUser: true }), sharding: { batchSize }, steps: (records) => records.map(work) }),
  ],
  // CHAOS_LOCK_MS / CHAOS_STALL_MS compare other lock settings with the defaults (5 s / 3 s).
  worker: {
    concurrency: 8,
    ...(env.CHAOS_LOCK_MS ? { lockDurationMs: Number(env.CHAOS_LOCK_MS) } : {}),
    ...(env.CHAOS_STALL_MS ? { stalledIntervalMs: Number(env.CHAOS_STALL_MS) } : {}),
  },
  runs: { maxActivePerUser: 2 },
  progress: { intervalMs: 250 },
});
