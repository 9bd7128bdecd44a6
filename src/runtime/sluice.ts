import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { SluiceConfig } from '../config/define-config.js';
import type { ItemFailure } from '../connector/types.js';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import { runScript } from '../store/scripts.js';
import type { ProgressEntry, RunSnapshot } from '../progress/events.js';
import { ProgressPublisher } from '../progress/publisher.js';
import { createProgressFollower, type ProgressFollower } from '../progress/follower.js';
import { coversEventsAfter, findPublishedRun, latestEventId, readEventPage, readSnapshot, type ProgressPage, type ReadEventsOptions } from '../progress/reader.js';
import { readDocuments } from '../sinks/read-documents.js';
import { createSinkStore } from '../sinks/sink-store.js';
import type { StoredDocument } from '../sinks/redis-sink.js';
import { createLimiter } from '../limiter/limiter.js';
import { collectLimits } from '../llm/config.js';
import { createLlmRuntime } from '../llm/runtime.js';
import { createQueueRegistry, DEFAULT_RUN_CAPS, type RuntimeContext } from './context.js';
import { noCredentialsProvider } from '../connector/credentials.js';
import { InvalidInputError, TooManyRunsError } from '../errors/index.js';
import { newRunId, parseUserId } from '../store/ids.js';
import { addJobs, jobOptions, pageId } from './jobs.js';
import { createKeys } from '../store/keys.js';
import { createRedis, DEFAULT_REDIS_URL } from '../store/redis.js';
import { RunStore } from './run-store.js';
import { createSchedules, type Schedules } from './schedules.js';
import { purgeUser, type PurgeReport } from './purge-user.js';
import { startWorkers, type SluiceWorker } from './worker.js';

export interface StartRunOptions {
  userId: string;
  /** Per-run input for the sources (e.g. `{ repos: ['octo/hello'] }`), stored with the run. */
  input?: Record<string, unknown>;
  /** The user's connection the sources read (stored with the run, given to reads and the credential provider). */
  connectionId?: string;
  /** What started it; a 'schedule' run's shards queue behind every other run's. Default 'manual'. */
  trigger?: 'onboarding' | 'manual' | 'schedule';
}

export interface StartedRun {
  runId: string;
  /** False when a run of this pipeline was already going for the user: that run is returned. */
  created: boolean;
}

/**
 * What `cancelRun` did: `cancelled` (the run is now `cancelled`, with its counts), `finished` (it
 * had already ended: nothing changed, `run` says how), or `not-found` (no such run, or no run going).
 */
export type CancelRunResult =
  | { outcome: 'cancelled'; run: RunSnapshot }
  | { outcome: 'finished'; run: RunSnapshot }
  | { outcome: 'not-found' };

export interface WorkerStartOptions {
  /** Only serve the queues of these pipelines. Default: all. */
  pipelines?: readonly string[];
  concurrency?: number;
}

/** The runtime's face: the server, the CLI and apps use these, never its Redis keys. */
export interface Sluice {
  readonly config: SluiceConfig;
  startRun(pipelineId: string, options: StartRunOptions): Promise<StartedRun>;
  startWorker(options?: WorkerStartOptions): SluiceWorker;
  /**
   * Cancels a user's run of a pipeline (without `runId`: the one going now). The run ends `cancelled`
   * with the counts it has; its in-flight reads and LLM calls are aborted and its later shards do nothing.
   */
  cancelRun(pipelineId: string, userId: string, runId?: string): Promise<CancelRunResult>;
  /** A user's run as last published, by id alone (runs are keyed by pipeline too: this finds it). */
  findRun(userId: string, runId: string): Promise<RunSnapshot | undefined>;
  /** Every run of a user as last published, newest first. */
  status(userId: string): Promise<RunSnapshot[]>;
  /** A run's most recent failed items (up to 50), newest first. */
  recentFailures(pipelineId: string, userId: string, runId: string): Promise<ItemFailure[]>;
  /** A user's progress events after `options.after`, in order. */
  events(userId: string, options?: ReadEventsOptions): Promise<ProgressEntry[]>;
  /** The same as a page: page on after `lastId`, which also passes entries that could not be read. */
  readProgress(userId: string, options?: ReadEventsOptions): Promise<ProgressPage>;
  /**
   * Newest id in a user's progress stream, or null when it has none. Read it before `status` and
   * follow the stream after it: nothing is missed.
   */
  progressPosition(userId: string): Promise<string | null>;
  /** Whether the stream still holds every event after `id`; if not (trimmed, or started over), start from `status`. */
  canResumeProgress(userId: string, id: string): Promise<boolean>;
  /** A blocking reader of many users' streams on a connection of its own named `<prefix>:<name>`. */
  followProgress(name: string): ProgressFollower;
  /** True while Redis answers PING within `timeoutMs` (default 2 s): for readiness checks. */
  ping(timeoutMs?: number): Promise<boolean>;
  documents<T = unknown>(pipelineId: string, userId: string): Promise<StoredDocument<T>[]>;
  /** Re-sync schedules per user and pipeline. */
  readonly schedules: Schedules;
  /**
   * Forgets a user: schedules, runs, progress, documents, sync and connector state, limiter keys and
   * queued jobs that carry their data. Says what it removed.
   */
  purgeUser(userId: string): Promise<PurgeReport>;
  close(): Promise<void>;
}

/** The runtime for one config: starts runs, runs workers, reads progress and documents. */
export function createSluice(config: SluiceConfig): Sluice {
  const redis = createRedis(config.redis ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
  const keys = createKeys(config.prefix ?? 'sluice');
  const pipelines = new Map(config.pipelines.map((p) => [p.id, p as Pipeline<unknown>]));
  const queues = createQueueRegistry(redis, keys.bullPrefix);
  // An LLM call's own Redis commands (cache read, limiter, then settle + usage + cache write) go on a
  // connection of their own that sends whatever is asked in one event-loop turn as one pipeline:
  // a batch's cache reads together, and a call's three closing commands in one round trip.
  const llmRedis = redis.duplicate({ enableAutoPipelining: true });
  const runs = new RunStore(redis, keys, llmRedis);
  const progress = new ProgressPublisher(redis, keys, {
    maxEvents: config.progress?.maxEvents ?? 1000,
    intervalMs: config.progress?.intervalMs ?? 250,
    maxRuns: config.progress?.maxRuns ?? 50,
  });
  const workers: SluiceWorker[] = [];
  // Blocking reads (XREAD BLOCK) would stall every other command on the shared connection.
  let blocking: Redis | undefined;
  const blockingRedis = () => (blocking ??= redis.duplicate());

  const pipeline = (id: string): Pipeline<unknown> => {
    const found = pipelines.get(id);
    if (!found) throw new InvalidInputError(`Unknown pipeline "${id}". Known: ${[...pipelines.keys()].join(', ')}`);
    return found;
  };
  const limiter = createLimiter(llmRedis, keys, collectLimits(config.llm, config.limits), config.limiter);
  const rt: RuntimeContext = {
    redis,
    keys,
    runs,
    progress,
    sinks: createSinkStore(redis, keys),
    limiter,
    llm: createLlmRuntime(llmRedis, keys, limiter, config.llm),
    // No provider, no credentials: a shared token needs `credentials: shared(...)`.
    credentials: config.credentials ?? noCredentialsProvider,
    maxItemFailures: config.progress?.maxItemFailures ?? 100,
    runCaps: {
      maxRecords: config.runs?.maxRecordsPerRun ?? DEFAULT_RUN_CAPS.maxRecords,
      maxBytes: config.runs?.maxBytesPerRun ?? DEFAULT_RUN_CAPS.maxBytes,
    },
    pipeline,
    queue: (name) => queues.get(name),
    fireSchedule: (target) => schedules.fire(target),
    runEnded: async (run, error) => {
      // A schedule that could not be updated must not fail the shard that ended the run.
      await schedules.runEnded(run, error).catch((e: unknown) => console.error(`[sluice] schedule update after run ${run.runId}: ${String(e)}`));
    },
  };
  const schedules = createSchedules({
    redis,
    keys,
    pipeline,
    queue: (name) => queues.get(name),
    startRun: (pipelineId, userId, input) => startRun(pipelineId, { userId, ...(input ? { input } : {}), trigger: 'schedule' }),
  });

  const maxActivePerUser = config.runs?.maxActivePerUser ?? 5;
  /**
   * A new run past the user's cap is refused; asking again for a run already going is not a new one.
   * The check and the reservation of the slot are one script, so two starts at once cannot both
   * pass; the reservation is released once the run shows in the user's snapshot (or after a minute).
   */
  const reserveActiveRun = async (userId: string, pipelineId: string): Promise<() => Promise<void>> => {
    const { snapshot, starting } = keys.progress(userId);
    const [ok, active] = await runScript<[number, number?]>(redis, 'reserve-run', [snapshot, starting], [pipelineId, maxActivePerUser, Date.now(), 60_000]);
    if (ok !== 1) {
      throw new TooManyRunsError(`user "${userId}" already has ${active} runs going (the limit is ${maxActivePerUser}); wait for one to finish`);
    }
    return async () => {
      await redis.hdel(starting, pipelineId);
    };
  };

  const readProgress = (userId: string, options?: ReadEventsOptions) =>
    readEventPage(options?.blockMs === undefined ? redis : blockingRedis(), keys, parseUserId(userId), options);

  async function startRun(pipelineId: string, options: StartRunOptions): Promise<StartedRun> {
    const p = pipeline(pipelineId);
    const userId = parseUserId(options.userId);
    let input = options.input ?? {};
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidInputError('run input must be a JSON object');
    if (p.input) input = parseRunInput(p, input);
    if (options.connectionId !== undefined && (typeof options.connectionId !== 'string' || options.connectionId === '')) {
      throw new InvalidInputError('connectionId must be a non-empty string');
    }
    const release = await reserveActiveRun(userId, p.id);
    try {
      return await startReserved(p, userId, input, options);
    } finally {
      await release();
    }
  }

  async function startReserved(p: Pipeline<unknown>, userId: string, input: Record<string, unknown>, options: StartRunOptions): Promise<StartedRun> {
    const ref = { runId: newRunId(options.trigger === 'schedule' ? 'schedule' : undefined), pipelineId: p.id, userId };
    const started = await runs.start(ref, p.sources.length, input, options.connectionId);
    const runRef = { ...ref, runId: started.runId };
    const firstPages = started.created ? p.sources.map((_, i) => pageId(i, 0)) : started.pendingFirstPages;
    await addJobs(
      queues.get(p.queue),
      firstPages.map((page) => {
        const sourceIndex = Number(page.slice(1, page.indexOf('p')));
        return { name: 'page', data: { ...runRef, sourceIndex, pageIndex: 0 }, opts: jobOptions(p, runRef.runId, page, 0) };
      }),
    );
    if (started.created) {
      await progress.publishRun('run.started', await runs.snapshot(runRef));
    }
    return { runId: started.runId, created: started.created };
  }

  return {
    config,
    startRun,
    schedules,
    purgeUser: (userId) =>
      purgeUser({ redis, keys, schedules, queueNames: [...new Set([...pipelines.values()].map((p) => p.queue))], queue: (name) => queues.get(name) }, userId),
    startWorker(options = {}) {
      const served = options.pipelines?.length ? options.pipelines.map(pipeline) : [...pipelines.values()];
      const byQueue = new Map<string, number>();
      for (const p of served) {
        const concurrency = options.concurrency ?? p.concurrency ?? config.worker?.concurrency ?? 8;
        byQueue.set(p.queue, Math.max(byQueue.get(p.queue) ?? 0, concurrency));
      }
      const worker = startWorkers(rt, redis, keys.bullPrefix, {
        queues: [...byQueue].map(([name, concurrency]) => ({ name, concurrency })),
        lockDurationMs: config.worker?.lockDurationMs ?? 30_000,
        stalledIntervalMs: config.worker?.stalledIntervalMs ?? 15_000,
      });
      workers.push(worker);
      return worker;
    },
    async cancelRun(pipelineId, userId, runId) {
      const ref = { pipelineId: pipeline(pipelineId).id, userId: parseUserId(userId) };
      const id = runId ?? (await runs.activeRunId(ref.pipelineId, ref.userId));
      if (!id) return { outcome: 'not-found' };
      const { changed, run } = await runs.cancel({ ...ref, runId: id });
      if (!run) return { outcome: 'not-found' };
      if (!changed) return { outcome: 'finished', run };
      await progress.publishRun('run.cancelled', run);
      return { outcome: 'cancelled', run };
    },
    findRun: (userId, runId) => findPublishedRun(redis, keys, parseUserId(userId), runId),
    status: (userId) => readSnapshot(redis, keys, parseUserId(userId)),
    recentFailures: (pipelineId, userId, runId) => runs.recentFailures({ pipelineId, userId: parseUserId(userId), runId }),
    readProgress,
    events: async (userId, options) => (await readProgress(userId, options)).entries,
    progressPosition: (userId) => latestEventId(redis, keys, parseUserId(userId)),
    canResumeProgress: (userId, id) => coversEventsAfter(redis, keys, parseUserId(userId), id),
    // CLIENT SETNAME takes no spaces; the prefix tells connections of different apps apart.
    followProgress: (name) => createProgressFollower(redis, keys, `${keys.prefix}:${name}`.replace(/[^\w.:{}-]/g, '_')),
    ping: (timeoutMs = 2000) => answersPing(redis, timeoutMs),
    documents: (pipelineId, userId) => readDocuments(redis, keys, pipeline(pipelineId).id, parseUserId(userId)),
    async close() {
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await progress.flush();
      await queues.close();
      blocking?.disconnect();
      llmRedis.disconnect();
      redis.disconnect();
    },
  };
}

async function answersPing(redis: Redis, timeoutMs: number): Promise<boolean> {
  // While Redis is away the connection queues commands: answer after the timeout rather than
  // wait on that queue (a load balancer's check must not hang).
  if (redis.status === 'end') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** The run input checked against the pipeline's declared schema. */
function parseRunInput(p: Pipeline<unknown>, input: Record<string, unknown>): Record<string, unknown> {
  const parsed = (p.input as z.ZodType<Record<string, unknown>>).safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(`invalid input for pipeline "${p.id}": ${z.prettifyError(parsed.error)}`);
}
