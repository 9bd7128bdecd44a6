import type { z } from 'zod';
import type { Source } from '../connector/types.js';
import { redisSink } from '../sinks/redis-sink.js';
import type { Sink } from '../sinks/types.js';
import { Chain } from './chain.js';
import type { ScheduleSpec } from './schedule.js';
import { validatePipeline } from './validate.js';

type SourceList = Source<any> | readonly Source<any>[];
/** The record type of a source or of a list of sources (a union). */
export type RecordsOf<S> = S extends readonly (infer E)[] ? (E extends Source<infer T> ? T : never) : S extends Source<infer T> ? T : never;

export interface ShardingOptions {
  /** Records per batch job. Default 100. */
  batchSize?: number;
}

export interface RetryOptions {
  /** Attempts per shard before it fails for good. Default 5. */
  attempts?: number;
  /** First backoff delay; doubles each attempt, with jitter. Default 1000 ms. */
  backoffMs?: number;
}

export interface PipelineOptions<S extends SourceList, TOut> {
  /** Lowercase letters, digits and dashes: it appears in keys, URLs and CLI arguments. */
  id: string;
  description?: string;
  /** Bump to reprocess records whose source content did not change. */
  version?: string;
  source: S;
  steps?: (records: Chain<RecordsOf<S>>) => Chain<TOut>;
  /** Where documents land. Default: the Redis document store. */
  sink?: Sink<TOut>;
  sharding?: ShardingOptions;
  retries?: RetryOptions;
  /** BullMQ queue the pipeline's shards go to; pipelines share `default` unless they need their own workers. */
  queue?: string;
  /** Jobs a worker runs at once on this pipeline's queue. */
  concurrency?: number;
  /**
   * How runs of many users share workers. 'round-robin' (default): shards are prioritised by batch
   * ordinal, so a new user's first batches overtake older backlogs. 'fifo': first come, first served.
   */
  fairness?: 'round-robin' | 'fifo';
  /**
   * The run input, as a zod schema (`z.object({ since: z.string().optional() })`): every run's input
   * is checked against it, whoever starts the run. Without it any JSON object is accepted.
   */
  input?: z.ZodType<Record<string, unknown>>;
  /**
   * Input fields an end user may set when starting a run through the progress server (a browser
   * holding a progress token). Default: none. The operator's code and CLI may set every field.
   * Leave out fields that reach the host or another account (a folder, a base URL, repositories
   * read with a shared token) unless the pipeline confines them itself.
   */
  userInput?: readonly string[];
  /** Longest a step may take over one record before that record fails ("timed out after N s"). Default 5 min. */
  recordTimeoutMs?: number;
  /**
   * Default re-sync schedule, applied to a user when their first run completes (onboarding, then
   * freshness); `sluice.schedules.upsert` overrides it per user.
   */
  schedule?: ScheduleSpec;
}

export interface Pipeline<TOut = unknown> {
  readonly id: string;
  readonly description?: string;
  readonly version: string;
  readonly sources: readonly Source<unknown>[];
  readonly chain: Chain<TOut>;
  readonly sink: Sink<TOut>;
  readonly batchSize: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly queue: string;
  readonly concurrency?: number;
  readonly fairness: 'round-robin' | 'fifo';
  /** Schema of the run input, when the pipeline declares one. */
  readonly input?: z.ZodType<Record<string, unknown>>;
  /** Input fields an end user may set through the progress server. */
  readonly userInput: readonly string[];
  readonly recordTimeoutMs?: number;
  readonly schedule?: ScheduleSpec;
  /** File that called `definePipeline`, for error messages. */
  readonly definedIn?: string;
}

export function definePipeline<const S extends SourceList, TOut = RecordsOf<S>>(options: PipelineOptions<S, TOut>): Pipeline<TOut> {
  const definedIn = callerFile();
  validatePipeline(options, definedIn);
  const sources = (Array.isArray(options.source) ? options.source : [options.source]) as Source<unknown>[];
  const chain = (options.steps ? options.steps(new Chain()) : new Chain()) as Chain<TOut>;
  return {
    id: options.id,
    description: options.description,
    version: options.version ?? '1',
    sources,
    chain,
    sink: options.sink ?? redisSink<TOut>(),
    batchSize: options.sharding?.batchSize ?? 100,
    attempts: options.retries?.attempts ?? 5,
    backoffMs: options.retries?.backoffMs ?? 1000,
    queue: options.queue ?? 'default',
    concurrency: options.concurrency,
    fairness: options.fairness ?? 'round-robin',
    ...(options.input ? { input: options.input } : {}),
    userInput: [...(options.userInput ?? [])],
    ...(options.recordTimeoutMs ? { recordTimeoutMs: options.recordTimeoutMs } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    definedIn,
  };
}

/** The file that called definePipeline, read from the stack, so config errors can name it. */
function callerFile(): string | undefined {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    const match = /(?:\(|at )((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(line.trim());
    const file = match?.[1]?.replace(/^file:\/\//, '');
    if (file && !/[\\/]src[\\/]pipeline[\\/]/.test(file) && !file.includes('node_modules')) return file;
  }
  return undefined;
}
