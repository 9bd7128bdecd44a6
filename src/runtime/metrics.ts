import type { Usage } from '../pipeline/llm.js';

/** How a shard's attempt ended, as the metrics count it. */
export type ShardOutcomeLabel = 'completed' | 'delayed' | 'retried' | 'failed';

/**
 * What the runtime reports as it works. Processors call these; only the Prometheus implementation
 * (prometheus.ts) knows prom-client. Label values are bounded: pipeline ids, step names, connector
 * names and limiter keys as configured (`gmail:user:{userId}`, never a user's id).
 */
export interface RuntimeMetrics {
  /** A run started (`trigger`: onboarding, manual, schedule) or ended (completed, failed, cancelled). */
  runStarted(pipeline: string, trigger: string): void;
  runEnded(pipeline: string, status: string): void;
  shardEnded(kind: string, pipeline: string, outcome: ShardOutcomeLabel, seconds: number): void;
  records(pipeline: string, counts: { processed: number; skipped: number; failed: number; written: number; deleted: number }): void;
  stepTimed(pipeline: string, step: string, seconds: number): void;
  /**
   * One read() of a connector: normally one upstream request. `rate_limited`: the source said so;
   * `deferred`: the shared limiter sent the shard back before the source said anything.
   */
  sourceRead(connector: string, outcome: 'ok' | 'rate_limited' | 'deferred' | 'error', seconds: number): void;
  /** A connector's rate limit sent the shard back to wait this long. */
  sourceRateLimitWait(connector: string, waitMs: number): void;
  limiterGranted(key: string, tokens: number, waitMs: number): void;
  /** A wait too long for the worker slot: the shard went back to the queue. */
  limiterDeferred(key: string, reason: string): void;
  limiterSettled(key: string, kind: 'ok' | 'rate_limited' | 'failed' | 'none'): void;
  llmUsage(provider: string, model: string, delta: Usage): void;
}
