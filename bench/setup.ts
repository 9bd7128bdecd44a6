import { defineConfig, definePipeline, type SluiceConfig } from '../src/index.js';
import { synthetic } from '../connectors/synthetic/index.js';

/** Shared by bench/core.ts and its worker children so both sides build the very same config. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PIPELINE_ID = 'bench-noop';
export const USER_ID = 'bench-user';
export const RAW_QUEUE = 'raw';
export const PAGE_SIZE = 1000;
export const BATCH_SIZE = 100;
export const CONCURRENCY = 50;

/** A no-op pipeline (no steps) over `records` synthetic records into the default Redis sink. */
export function benchConfig(prefix: string, records: number): SluiceConfig {
  const pipeline = definePipeline({
    id: PIPELINE_ID,
    source: synthetic.records({ count: records, pageSize: PAGE_SIZE }),
    sharding: { batchSize: BATCH_SIZE },
  });
  return defineConfig({ prefix, redis: REDIS_URL, pipelines: [pipeline], worker: { concurrency: CONCURRENCY } });
}

/** Messages a worker child sends over IPC. Times are Date.now() of the child (same machine clock). */
export type ChildMessage =
  | { type: 'ready'; mem: MemSample }
  | { type: 'sample'; mem: MemSample }
  | { type: 'stats'; mem: MemSample }
  | { type: 'done'; count: number; firstStartAt: number; lastDoneAt: number }
  | { type: 'end'; mem: MemSample };

/** Messages the parent sends: start consuming (raw BullMQ child), or report memory and CPU now. */
export type ParentMessage = { type: 'go' } | { type: 'stats' };

export interface MemSample {
  at: number;
  rss: number;
  heapUsed: number;
  /** User + system CPU time of the child so far, in ms. */
  cpuMs: number;
  /** Taken right after a full GC (children run with --expose-gc): heapUsed is then the retained heap. */
  afterGc: boolean;
}

/** Memory and CPU now; with `collect`, after a full GC so heapUsed shows what is retained. */
export function memSample(collect = false): MemSample {
  const gc = collect ? (globalThis as { gc?: () => void }).gc : undefined;
  gc?.();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return { at: Date.now(), rss: mem.rss, heapUsed: mem.heapUsed, cpuMs: (cpu.user + cpu.system) / 1000, afterGc: gc !== undefined };
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** Sends to the parent and resolves once the message is handed to the IPC channel. */
export function sendToParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}
