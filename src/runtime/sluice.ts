import type { Registry } from 'prom-client';
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
import { addJobs, jobId, jobOptions, pageId } from './jobs.js';
import { StateEpoch, type StateLoss } from '../store/epoch.js';
import { createKeys } from '../store/keys.js';
import { answersPing, createRedis, DEFAULT_REDIS_URL, duplicateRedis, type RedisClient } from '../store/redis.js';
import { redactRedisUrl } from '../store/redis-url.js';
import { RedisHealth } from '../store/redis-health.js';
import { createLogger, type Logger } from './logger.js';
import { observedLimiter, observedLlm } from './observed.js';
import { createPrometheusMetrics } from './prometheus.js';
import { RunStore } from './run-store.js';
import { createSchedules, type Schedules } from './schedules.js';
import { purgeUser, type PurgeReport } from './purge-user.js';
import { DEFAULT_NO_PROGRESS_TIMEOUT_MS, DEFAULT_WORKER_TIMINGS, startWorkers, type SluiceWorker } from './worker.js';
import { createAdmin, type SluiceAdmin } from './admin/index.js';

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

export interface SluiceOptions {
  /** Where the runtime logs (a pino logger). Default: JSON lines on stderr at SLUICE_LOG_LEVEL. */
  logger?: Logger;
}

export interface WorkerStartOptions {
  /** Only serve the queues of these pipelines. Default: all. */
  pipelines?: readonly string[];
  concurrency?: number;
}

/** The runtime's face: the server, the CLI and apps use these, never its Redis keys. */
export interface Sluice {
  readonly config: SluiceConfig;
  /** This instance's Prometheus metrics (a Registry of its own): `await metrics.metrics()` is the exposition text. */
  readonly metrics: Registry;
  /** The runtime's structured log. */
  readonly log: Logger;
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
  /**
   * Calls `listener` (once per loss) when Redis lost Sluice's state while this process was using it:
   * the state marker is gone or changed. Checked on every reconnect and every 5 s.
   */
  onStateLost(listener: (loss: StateLoss) => void): () => void;
  /** The state marker in Redis now, or null: this Redis holds no Sluice state (never used, or lost it). */
  stateMarker(): Promise<string | null>;
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
  /** The operator's view across users (runs, queues, limiters) and its actions: `sluice serve --admin`. */
  readonly admin: SluiceAdmin;
  close(): Promise<void>;
}

/** The runtime for one config: starts runs, runs workers, reads progress and documents. */
export function createSluice(config: SluiceConfig, options: SluiceOptions = {}): Sluice {
  const log = options.logger ?? createLogger();
  const redisUrl = config.redis ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
  // One line when Redis goes away and one when it is back, however many connections fail meanwhile.
  const health = new RedisHealth({
    down: (reason) => log.error({ redis: redactRedisUrl(redisUrl), reason }, 'Redis unreachable; retrying quietly'),
    up: (downForMs) => log.info({ redis: redactRedisUrl(redisUrl), downForMs }, 'Redis reachable again'),
  });
  const redis = health.watch(createRedis(redisUrl));
  const keys = createKeys(config.prefix ?? 'sluice');
  const pipelines = new Map(config.pipelines.map((p) => [p.id, p as Pipeline<unknown>]));
  const queues = createQueueRegistry(redis, keys.bullPrefix, (error) => {
    const unexpected = health.report(error);
    if (unexpected) log.error({ err: unexpected.message }, 'queue error');
  });
  const queueNames = [...new Set([...pipelines.values()].map((p) => p.queue))];
  const limits = collectLimits(config.llm, config.limits);
  const prometheus = createPrometheusMetrics({
    queues: () => queueNames.map((name) => ({ name, queue: queues.get(name) })),
    redis,
    pipelines: [...pipelines.values()].map((p) => ({ id: p.id, queue: p.queue })),
    limits,
    redisUp: () => health.up,
  });
  // An LLM call's own Redis commands (cache read, limiter, then settle + usage + cache write) go on a
  // connection of their own that sends whatever is asked in one event-loop turn as one pipeline:
  // a batch's cache reads together, and a call's three closing commands in one round trip.
  const llmRedis = duplicateRedis(redis, undefined, true);
  const runs = new RunStore(redis, keys, llmRedis);
  const epoch = new StateEpoch(redis, keys.epoch);
  const progress = new ProgressPublisher(redis, keys, {
    epoch,
    maxEvents: config.progress?.maxEvents ?? 1000,
    intervalMs: config.progress?.intervalMs ?? 250,
    maxRuns: config.progress?.maxRuns ?? 50,
  });
  const workers: SluiceWorker[] = [];
  // Blocking reads (XREAD BLOCK) would stall every other command on the shared connection.
  let blocking: RedisClient | undefined;
  const blockingRedis = () => (blocking ??= duplicateRedis(redis));

  const pipeline = (id: string): Pipeline<unknown> => {
    const found = pipelines.get(id);
    if (!found) throw new InvalidInputError(`Unknown pipeline "${id}". Known: ${[...pipelines.keys()].join(', ')}`);
    return found;
  };
  const limiter = observedLimiter(createLimiter(llmRedis, keys, limits, config.limiter), limits, prometheus.metrics);
  const rt: RuntimeContext = {
    redis,
    keys,
    runs,
    progress,
    sinks: createSinkStore(redis, keys),
    limiter,
    llm: observedLlm(createLlmRuntime(llmRedis, keys, limiter, config.llm), prometheus.metrics),
    metrics: prometheus.metrics,
    log,
    health,
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
      prometheus.metrics.runEnded(run.pipeline, run.status);
      // A schedule that could not be updated must not fail the shard that ended the run.
      log.info({ runId: run.runId, userId: run.userId, pipelineId: run.pipeline, status: run.status, counts: run.counts, ...(run.error ? { reason: run.error } : {}) }, `run ${run.status}`);
      await schedules
        .runEnded(run, error)
        .catch((e: unknown) => log.error({ runId: run.runId, userId: run.userId, pipelineId: run.pipeline, err: String(e) }, 'schedule update after the run failed'));
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
    // Indexed before its first jobs are queued: a crash in between leaves a run the reconciler sees.
    await runs.track(runRef);
    const firstPages = started.created ? p.sources.map((_, i) => pageId(i, 0)) : started.pendingFirstPages;
    // Published before any job can run: only run.started brings a run into the user's progress, so
    // no event of the run may come first (see publish-progress.lua).
    if (started.created) {
      log.info({ runId: runRef.runId, userId, pipelineId: p.id, trigger: options.trigger ?? 'manual' }, 'run started');
      prometheus.metrics.runStarted(p.id, options.trigger ?? 'manual');
      await progress.publishRun('run.started', await runs.snapshot(runRef));
    }
    await addJobs(
      queues.get(p.queue),
      firstPages.map((page) => {
        const sourceIndex = Number(page.slice(1, page.indexOf('p')));
        return { name: 'page', data: { ...runRef, sourceIndex, pageIndex: 0 }, opts: jobOptions(p, runRef.runId, page, 0) };
      }),
    );
    return { runId: started.runId, created: started.created };
  }

  /**
   * A cancelled run's shards still waiting in the queue leave it now, rather than wait until due to
   * do nothing; a shard that is running ends on its abort signal (BullMQ refuses to remove it).
   */
  async function dropQueuedShards(pipelineId: string, runId: string, shards: readonly string[]): Promise<void> {
    const queue = queues.get(pipeline(pipelineId).queue);
    await Promise.all(
      shards.map((shard) =>
        // A running shard cannot be removed (it ends on its abort signal); anything else is worth a line.
        queue.remove(jobId(runId, shard)).catch((error: unknown) => log.warn({ runId, shard, err: error instanceof Error ? error.message : String(error) }, 'could not remove a cancelled run\'s job')),
      ),
    );
  }

  let admin: SluiceAdmin | undefined;
  return {
    config,
    metrics: prometheus.registry,
    log,
    startRun,
    schedules,
    purgeUser: (userId) =>
      purgeUser({ redis, keys, schedules, queueNames, queue: (name) => queues.get(name) }, userId),
    onStateLost: (listener) => epoch.onLost(listener),
    stateMarker: () => epoch.read(),
    startWorker(options = {}) {
      const served = options.pipelines?.length ? options.pipelines.map(pipeline) : [...pipelines.values()];
      const byQueue = new Map<string, number>();
      for (const p of served) {
        const concurrency = options.concurrency ?? p.concurrency ?? config.worker?.concurrency ?? 8;
        byQueue.set(p.queue, Math.max(byQueue.get(p.queue) ?? 0, concurrency));
      }
      const reconcileIntervalMs = config.worker?.reconcileIntervalMs ?? DEFAULT_WORKER_TIMINGS.reconcileIntervalMs;
      const worker = startWorkers(rt, redis, keys.bullPrefix, {
        queues: [...byQueue].map(([name, concurrency]) => ({ name, concurrency })),
        lockDurationMs: config.worker?.lockDurationMs ?? DEFAULT_WORKER_TIMINGS.lockDurationMs,
        stalledIntervalMs: config.worker?.stalledIntervalMs ?? DEFAULT_WORKER_TIMINGS.stalledIntervalMs,
        drainTimeoutMs: config.worker?.drainTimeoutMs ?? DEFAULT_WORKER_TIMINGS.drainTimeoutMs,
        ...(reconcileIntervalMs > 0
          ? { reconciler: { intervalMs: reconcileIntervalMs, noProgressTimeoutMs: config.runs?.noProgressTimeoutMs ?? DEFAULT_NO_PROGRESS_TIMEOUT_MS } }
          : {}),
      });
      // A worker says it in one line; its queues and runs were lost with the rest.
      if (workers.length === 0) epoch.onLost((loss) => log.error({ code: 'state_lost' }, loss.message));
      workers.push(worker);
      return worker;
    },
    async cancelRun(pipelineId, userId, runId) {
      const ref = { pipelineId: pipeline(pipelineId).id, userId: parseUserId(userId) };
      const id = runId ?? (await runs.activeRunId(ref.pipelineId, ref.userId));
      if (!id) return { outcome: 'not-found' };
      // Read before the cancel, which empties the set: the shards whose queued jobs go with the run.
      const pending = await redis.smembers(keys.run(ref.pipelineId, ref.userId, id).pending);
      const { changed, run } = await runs.cancel({ ...ref, runId: id });
      if (!run) return { outcome: 'not-found' };
      if (!changed) return { outcome: 'finished', run };
      prometheus.metrics.runEnded(run.pipeline, run.status);
      log.info({ runId: run.runId, userId: run.userId, pipelineId: run.pipeline }, 'run cancelled');
      await progress.publishRun('run.cancelled', run);
      await dropQueuedShards(ref.pipelineId, id, pending);
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
      epoch.close();
      await Promise.all(workers.splice(0).map((w) => w.close()));
      await progress.flush();
      await queues.close();
      blocking?.disconnect();
      llmRedis.disconnect();
      redis.disconnect();
    },
    get admin() {
      return (admin ??= createAdmin({
        redis,
        keys,
        runs,
        pipelineQueues: new Map([...pipelines.values()].map((p) => [p.id, p.queue])),
        queue: (name) => queues.get(name),
        limits: collectLimits(config.llm, config.limits),
        limiterOptions: config.limiter ?? {},
        findRun: (userId, runId) => this.findRun(userId, runId),
        cancelRun: (pipelineId, userId, runId) => this.cancelRun(pipelineId, userId, runId),
        startRun,
      }));
    },
  };
}

/** The run input checked against the pipeline's declared schema. */
function parseRunInput(p: Pipeline<unknown>, input: Record<string, unknown>): Record<string, unknown> {
  const parsed = (p.input as z.ZodType<Record<string, unknown>>).safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(`invalid input for pipeline "${p.id}": ${z.prettifyError(parsed.error)}`);
}
