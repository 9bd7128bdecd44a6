// sluice: what an app defines (pipelines, steps, sinks, connectors, config), with its types and
// errors. Kept light enough for a Next.js route or an edge bundle: nothing here loads BullMQ,
// Redis, an LLM SDK, the tokenizer, the HTTP server or the config loader. The processes that run
// pipelines import `sluice/runtime`; the progress API `sluice/server`; rehearsals `sluice/testing`.
export { defineConfig, type SluiceConfig, type WorkerOptions, type ProgressOptions } from './config/define-config.js';
export { ConfigError } from './config/validate.js';
export { definePipeline, type Pipeline, type PipelineOptions, type RecordsOf } from './pipeline/define-pipeline.js';
export { PipelineConfigError } from './pipeline/validate.js';
export { Chain } from './pipeline/chain.js';
export { perItemStep, type Step, type StepItem, type StepOutcome, type RecordContext } from './pipeline/step.js';
export * from './connector/index.js';
export { isDeletion, type IndexedRecord, type Sink, type SinkDeletion, type SinkDocument, type SinkEntry, type SinkScope, type SinkState, type SinkUpsert, type SinkWriter, type SinkWriteResult } from './sinks/types.js';
export { redisSink, type StoredDocument } from './sinks/redis-sink.js';
export { jsonlSink, type JsonlLine, type JsonlSinkOptions, type JsonlTombstone } from './sinks/jsonl-sink.js';
export { readJsonlDocuments } from './sinks/read-jsonl.js';
export type { RunCounts, RunEvent, RunEventType, RunSnapshot, RunStatus, ProgressEntry } from './progress/events.js';
export { InvalidInputError, isSluiceError, SluiceError, type ErrorKind, type WaitInfo } from './errors/index.js';
export { contentHash } from './util/hash.js';
export * from './llm/index.js';
export { LimiterWaitError, RequestTooLargeError } from './limiter/errors.js';
export type { LimitSpec } from './limiter/types.js';
