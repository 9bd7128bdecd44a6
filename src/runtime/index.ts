// sluice/runtime: the processes that do the work (workers, run starters, the CLI). Loads BullMQ,
// Redis and, when a config file is read, jiti; LLM SDKs load when a step first calls a model.
export { createSluice, type Sluice, type SluiceOptions, type StartRunOptions, type StartedRun, type WorkerStartOptions } from './sluice.js';
export { createLogger, type Logger } from './logger.js';
export { serveMetrics, type MetricsServer } from './metrics-server.js';
export type { SluiceWorker } from './worker.js';
export type { StateLoss } from '../store/epoch.js';
export type { ScheduleInfo, Schedules, ScheduleTarget, ScheduleUpsert } from './schedules.js';
export type { PurgeReport } from './purge-user.js';
export type { SluiceAdmin, AdminRun, RunsPage, ListRunsOptions, QueueState, LimiterState, LimitersPage, RetryRunResult } from './admin/index.js';
export { loadConfig, findConfig } from '../config/load-config.js';
export { checkRedis } from '../store/check-redis.js';
export type { RedisClient } from '../store/redis.js';
