import type { Queue } from 'bullmq';
import type { RedisClient } from '../../store/redis.js';
import type { LimiterOptions, LimitSpec } from '../../limiter/types.js';
import type { KeyBuilder } from '../../store/keys.js';
import { parseUserId } from '../../store/ids.js';
import type { RunStore } from '../run-store.js';
import type { ItemFailure, RunSnapshot } from '../../progress/events.js';
import { listLimiters, type LimitersPage } from './limiters.js';
import { listQueues, type QueueState } from './queues.js';
import { retryRun, type RestartOptions, type RetryRunResult } from './retry.js';
import { listRuns, runAge, runFailures, type AdminRun, type ListRunsOptions, type RunsPage } from './runs.js';

export type { AdminRun, ListRunsOptions, RunsPage } from './runs.js';
export type { LimiterState, LimitersPage } from './limiters.js';
export type { QueueState } from './queues.js';
export type { RetryRunResult } from './retry.js';

/** What an operator sees and does across users: for `sluice serve --admin`, never for end users. */
export interface SluiceAdmin {
  /** Runs across users, one bounded page at a time (see listRuns). */
  runs(options?: ListRunsOptions): Promise<RunsPage>;
  /** One run with its recent failed items (up to 50), or undefined. */
  run(userId: string, runId: string): Promise<{ run: AdminRun; failures: ItemFailure[] } | undefined>;
  /** Job counts of every queue the config's pipelines use. */
  queues(): Promise<QueueState[]>;
  limiters(): Promise<LimitersPage>;
  /** Cancels a run found by user and id alone. */
  cancelRun(userId: string, runId: string): Promise<AdminCancelResult>;
  /** Starts a run again with its input (see RetryRunResult for what that re-does). */
  retryRun(userId: string, runId: string): Promise<RetryRunResult>;
}

/** The facade's CancelRunResult, restated (structural: no import cycle with sluice.ts). */
export type AdminCancelResult = { outcome: 'cancelled' | 'finished'; run: RunSnapshot } | { outcome: 'not-found' };

export interface AdminDeps {
  redis: RedisClient;
  keys: KeyBuilder;
  runs: RunStore;
  /** Pipeline id -> its queue name. */
  pipelineQueues: ReadonlyMap<string, string>;
  queue(name: string): Queue;
  limits: Record<string, LimitSpec>;
  limiterOptions: LimiterOptions;
  findRun(userId: string, runId: string): Promise<RunSnapshot | undefined>;
  cancelRun(pipelineId: string, userId: string, runId: string): Promise<AdminCancelResult>;
  startRun(pipelineId: string, options: RestartOptions): Promise<{ runId: string; created: boolean }>;
}

export function createAdmin(deps: AdminDeps): SluiceAdmin {
  const { redis, keys } = deps;
  const knownPipeline = (id: string) => deps.pipelineQueues.has(id);
  const byQueue = new Map<string, string[]>();
  for (const [pipeline, queue] of deps.pipelineQueues) byQueue.set(queue, [...(byQueue.get(queue) ?? []), pipeline]);
  return {
    runs: (options) => listRuns(redis, keys, options),
    async run(userId, runId) {
      const run = await deps.findRun(parseUserId(userId), runId);
      if (!run) return undefined;
      const failures = await runFailures(redis, keys, run);
      return { run: { ...run, ...runAge(run, Date.now()), recentFailures: failures.slice(0, 5) }, failures };
    },
    queues: () => listQueues(byQueue, deps.queue),
    limiters: () => listLimiters(redis, keys, deps.limits, deps.limiterOptions),
    async cancelRun(userId, runId) {
      const run = await deps.findRun(parseUserId(userId), runId);
      if (!run || !knownPipeline(run.pipeline)) return { outcome: 'not-found' };
      return deps.cancelRun(run.pipeline, run.userId, runId);
    },
    retryRun: (userId, runId) => retryRun({ runs: deps.runs, knownPipeline, findRun: deps.findRun, startRun: deps.startRun }, parseUserId(userId), runId),
  };
}
