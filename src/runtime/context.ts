import { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { RedisClient } from '../store/redis.js';
import type { CredentialProvider } from '../connector/types.js';
import type { Limiter } from '../limiter/limiter.js';
import type { LlmRuntime } from '../pipeline/llm.js';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import type { RunSnapshot } from '../progress/events.js';
import type { ProgressPublisher } from '../progress/publisher.js';
import type { SinkStore } from '../sinks/sink-store.js';
import type { KeyBuilder } from '../store/keys.js';
import type { RedisHealth } from '../store/redis-health.js';
import type { RuntimeMetrics } from './metrics.js';
import type { RunStore } from './run-store.js';

/** What job processors share inside one process. */
export interface RuntimeContext {
  redis: RedisClient;
  keys: KeyBuilder;
  runs: RunStore;
  progress: ProgressPublisher;
  sinks: SinkStore;
  credentials: CredentialProvider;
  limiter: Limiter;
  llm: LlmRuntime;
  /** What the processors report as they work (Prometheus, when scraped). */
  metrics: RuntimeMetrics;
  /** Structured log; lines about a shard carry its run, user and shard ids. */
  log: Logger;
  /** Tells connection failures (one line per outage) from errors worth a line each. */
  health: RedisHealth;
  maxItemFailures: number;
  /** Per-run caps (runs.maxRecordsPerRun, runs.maxBytesPerRun): a run past one is stopped. */
  runCaps: RunCaps;
  pipeline(id: string): Pipeline<unknown>;
  queue(name: string): Queue;
  /** A schedule came due: start its run, or skip it while one is going. */
  fireSchedule?(target: { pipelineId: string; userId: string }): Promise<unknown>;
  /** A run completed or failed (with the error that failed it): schedules react to it. */
  runEnded?(run: RunSnapshot, error?: unknown): Promise<void>;
}

export interface RunCaps {
  maxRecords: number;
  maxBytes: number;
}

export const DEFAULT_RUN_CAPS: RunCaps = { maxRecords: 1_000_000, maxBytes: 1024 ** 3 };

/** One BullMQ Queue per queue name, created on first use and shared by the process. */
export function createQueueRegistry(connection: RedisClient, prefix: string, onError: (error: Error) => void = () => {}) {
  const queues = new Map<string, Queue>();
  return {
    get(name: string): Queue {
      let queue = queues.get(name);
      if (!queue) {
        queue = new Queue(name, { connection, prefix });
        // A queue re-emits its connection's errors: without a listener each would be thrown.
        queue.on('error', onError);
        queues.set(name, queue);
      }
      return queue;
    },
    async close(): Promise<void> {
      await Promise.all([...queues.values()].map((q) => q.close()));
      queues.clear();
    },
  };
}
