import type { CredentialProvider } from '../connector/types.js';
import type { LimiterOptions, LimitSpec } from '../limiter/types.js';
import type { LlmConfig } from '../llm/config.js';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import { validateConfig } from './validate.js';

export interface WorkerOptions {
  /** Jobs one worker process runs at once per queue. Default 8. */
  concurrency?: number;
  /**
   * How long a job's lock lasts before another worker may take it over after a crash. BullMQ renews
   * it every half duration while the job runs. Default 5 s.
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died. Default 3 s (with the lock: moved within 8 s). */
  stalledIntervalMs?: number;
  /** On SIGTERM, how long in-flight jobs may finish before they are handed back to the queue. Default 10 s. */
  drainTimeoutMs?: number;
  /**
   * How often the run reconciler (one worker process at a time, elected through Redis) looks for
   * runs whose work was lost: pending shards with no job, jobs BullMQ failed on its own, runs with
   * no progress. Default 5 s; 0 turns it off in this process.
   */
  reconcileIntervalMs?: number;
}

export interface ProgressOptions {
  /** Events kept per user stream (approximate trim). Default 1000. */
  maxEvents?: number;
  /** Least time between two progress events of one run from one worker. Default 250 ms. */
  intervalMs?: number;
  /** `item.failed` events a run emits at most; later failures are still counted. Default 100. */
  maxItemFailures?: number;
  /** Runs a user's snapshot keeps; the oldest finished ones are dropped. Default 50. */
  maxRuns?: number;
}

export interface RunLimitOptions {
  /** Runs one user may have going at once (each pipeline runs once per user anyway). Default 5. */
  maxActivePerUser?: number;
  /**
   * Records one run may read (counted as its pages complete) before it is stopped and fails with a
   * reason naming this cap. Default 1,000,000.
   */
  maxRecordsPerRun?: number;
  /** Bytes of record data (their JSON length) one run may read before it is stopped. Default 1 GiB. */
  maxBytesPerRun?: number;
  /**
   * A running run whose state has not changed for this long is failed by the reconciler, with a
   * reason that says so. Set it above the longest a run may wait in the queue. Default 30 min; 0: never.
   */
  noProgressTimeoutMs?: number;
}

export interface SluiceConfig {
  pipelines: readonly Pipeline<any>[];
  /** Redis URL. Default: `REDIS_URL`, else redis://127.0.0.1:6379. */
  redis?: string;
  /** Prefix of every Redis key and queue. Default `sluice`. */
  prefix?: string;
  /**
   * Resolves a user's credentials for a connector at run time. Default: none (a connector that
   * needs a token fails the run). One token for every user only by opting in: `shared({ github: process.env.GITHUB_TOKEN })`.
   */
  credentials?: CredentialProvider;
  worker?: WorkerOptions;
  progress?: ProgressOptions;
  /** Per-user caps on runs, so one user's requests cannot take every worker. */
  runs?: RunLimitOptions;
  /** LLM providers (OpenAI-compatible), their per-model limits and prices. */
  llm?: LlmConfig;
  /** Shared budgets by limiter key, e.g. `{ 'openai:gpt-4o-mini': { rpm: 500, tpm: 200_000 } }`. */
  limits?: Record<string, LimitSpec>;
  /** How the shared limiter paces work and when a provider's circuit opens. */
  limiter?: LimiterOptions;
}

export function defineConfig(config: SluiceConfig): SluiceConfig {
  validateConfig(config);
  return config;
}
