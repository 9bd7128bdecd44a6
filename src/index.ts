export { defineConfig, type SluiceConfig, type WorkerOptions, type ProgressOptions } from './config/define-config.js';
export { loadConfig, findConfig } from './config/load-config.js';
export { ConfigError } from './config/validate.js';
export { definePipeline, type Pipeline, type PipelineOptions, type RecordsOf } from './pipeline/define-pipeline.js';
export { PipelineConfigError } from './pipeline/validate.js';
export { Chain } from './pipeline/chain.js';
export { perItemStep, type Step, type StepItem, type StepOutcome, type RecordContext } from './pipeline/step.js';
export * from './connector/index.js';
export * from './sinks/index.js';
export type { RunCounts, RunEvent, RunEventType, RunSnapshot, RunStatus, ProgressEntry } from './progress/events.js';
export { createSluice, type Sluice, type StartRunOptions, type StartedRun, type WorkerStartOptions } from './runtime/sluice.js';
export type { SluiceWorker } from './runtime/worker.js';
export { InvalidInputError, isSluiceError, SluiceError, type ErrorKind, type WaitInfo } from './errors/index.js';
export { contentHash } from './util/hash.js';
export * from './llm/index.js';
export { createLimiter, LimiterWaitError, RequestTooLargeError, type Limiter, type LimitSpec } from './limiter/index.js';
export {
  startMockLlm,
  MockOptionsError,
  type LatencySetting,
  type MockLlm,
  type MockLlmKnobs,
  type MockLlmOptions,
  type MockLlmStats,
  type SecondBucket,
} from './mock-llm/index.js';
export { createProgressServer, type ProgressServer, type ProgressServerOptions, type ListeningServer, type ProgressBody, type ProgressRun, type ErrorBody } from './server/index.js';
export { createProgressToken, verifyProgressToken, ProgressTokenError, type ProgressTokenClaims, type ProgressTokenOptions, type ProgressTokenErrorCode } from './auth/index.js';
