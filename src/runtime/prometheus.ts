import type { Queue } from 'bullmq';
import type { RedisClient } from '../store/redis.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LimitSpec } from '../limiter/types.js';
import type { RuntimeMetrics } from './metrics.js';

export interface PrometheusSources {
  /** The queues whose depth and oldest job are read at each scrape. */
  queues(): { name: string; queue: Queue }[];
  /** The connection the queues use, to read their oldest jobs. */
  redis: RedisClient;
  /** Each pipeline's queue: `sluice_pipeline_queue`, to read queue figures by pipeline. */
  pipelines: { id: string; queue: string }[];
  /** Limits as configured, by configured key: exported as `sluice_limiter_limit`. */
  limits: Record<string, LimitSpec>;
  /** Whether Redis is reachable: `sluice_redis_up`. */
  redisUp(): boolean;
}

/** Longest a scrape waits for Redis: a scrape must answer, and say `sluice_redis_up 0`, during an outage. */
const SCRAPE_REDIS_TIMEOUT_MS = 1000;
/** Jobs looked at from the head of the prioritized set for the oldest waiting job. */
const OLDEST_SAMPLE = 100;

/** Seconds: from a fast cached step to a slow LLM call or a page that took a minute. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Prometheus metrics of one Sluice instance, on a Registry of its own (never prom-client's global
 * one): two instances in one process, or tests, do not collide. Counters, so rates come from
 * Prometheus; queue gauges are read from Redis when scraped.
 */
export function createPrometheusMetrics(sources: PrometheusSources): { registry: Registry; metrics: RuntimeMetrics } {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const runsStarted = new Counter({ name: 'sluice_runs_started_total', help: 'Runs started, by trigger (onboarding, manual, schedule)', labelNames: ['pipeline', 'trigger'], registers });
  const runsEnded = new Counter({ name: 'sluice_runs_ended_total', help: 'Runs ended, by status (completed, failed, cancelled), counted by the process that ended them', labelNames: ['pipeline', 'status'], registers });
  const shards = new Counter({ name: 'sluice_shards_total', help: 'Shard attempts by kind (page, batch, sweep, schedule) and outcome (completed, delayed, retried, failed)', labelNames: ['pipeline', 'kind', 'outcome'], registers });
  const shardSeconds = new Histogram({ name: 'sluice_shard_duration_seconds', help: 'Time one shard attempt took', labelNames: ['pipeline', 'kind'], buckets: DURATION_BUCKETS, registers });
  const records = new Counter({ name: 'sluice_records_total', help: 'Records through batches by outcome (processed, skipped unchanged, failed, written documents, deleted)', labelNames: ['pipeline', 'outcome'], registers });
  const stepSeconds = new Histogram({ name: 'sluice_step_duration_seconds', help: 'Time one step took over one batch', labelNames: ['pipeline', 'step'], buckets: DURATION_BUCKETS, registers });
  const sourceReads = new Counter({ name: 'sluice_connector_requests_total', help: 'Page reads of a connector (normally one upstream request each) by outcome', labelNames: ['connector', 'outcome'], registers });
  const sourceSeconds = new Histogram({ name: 'sluice_connector_request_duration_seconds', help: 'Time one page read of a connector took', labelNames: ['connector'], buckets: DURATION_BUCKETS, registers });
  const sourceWaits = new Counter({ name: 'sluice_connector_rate_limit_waits_total', help: "Shards sent back to wait for a connector's rate limit", labelNames: ['connector'], registers });
  const sourceWaitSeconds = new Counter({ name: 'sluice_connector_rate_limit_wait_seconds_total', help: "Seconds connectors' rate limits asked shards to wait", labelNames: ['connector'], registers });
  const granted = new Counter({ name: 'sluice_limiter_requests_total', help: 'Requests granted by the shared limiter, per configured key', labelNames: ['key'], registers });
  const grantedTokens = new Counter({ name: 'sluice_limiter_tokens_total', help: 'Tokens (or quota units) reserved from the shared limiter, per configured key', labelNames: ['key'], registers });
  const waitSeconds = new Histogram({ name: 'sluice_limiter_wait_seconds', help: 'In-process wait for a granted slot', labelNames: ['key'], buckets: [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5], registers });
  const deferred = new Counter({ name: 'sluice_limiter_deferrals_total', help: 'Waits too long for the worker slot (the shard went back to the queue), by reason (rate, paused, circuit, day)', labelNames: ['key', 'reason'], registers });
  const settled = new Counter({ name: 'sluice_limiter_responses_total', help: 'Provider answers fed back to the limiter by kind (ok, rate_limited = 429, failed, none)', labelNames: ['key', 'kind'], registers });
  const limit = new Gauge({ name: 'sluice_limiter_limit', help: 'Configured limit per key and kind (rpm, tpm, rpd, tpd)', labelNames: ['key', 'kind'], registers });
  const tokens = new Counter({ name: 'sluice_llm_tokens_total', help: 'LLM tokens paid for, by kind (prompt, completion)', labelNames: ['provider', 'model', 'kind'], registers });
  const cost = new Counter({ name: 'sluice_llm_cost_usd_total', help: 'Estimated LLM cost in USD', labelNames: ['provider', 'model'], registers });
  const calls = new Counter({ name: 'sluice_llm_calls_total', help: 'LLM calls, paid or answered from the cache', labelNames: ['provider', 'model', 'cached'], registers });

  for (const [key, spec] of Object.entries(sources.limits)) {
    for (const kind of ['rpm', 'tpm', 'rpd', 'tpd'] as const) if (spec[kind] !== undefined) limit.set({ key, kind }, spec[kind]);
  }
  const pipelineQueue = new Gauge({ name: 'sluice_pipeline_queue', help: 'Always 1: the queue each pipeline uses, to join queue figures by pipeline', labelNames: ['pipeline', 'queue'], registers });
  for (const { id, queue } of sources.pipelines) pipelineQueue.set({ pipeline: id, queue }, 1);
  new Gauge({ name: 'sluice_redis_up', help: "1 while this process's Redis connections work, 0 during an outage", registers, collect() { this.set(sources.redisUp() ? 1 : 0); } });
  new Gauge({
    name: 'sluice_queue_jobs',
    help: 'Jobs in a queue by state (wait, prioritized, delayed, active, failed)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      // During an outage the page says so at once (sluice_redis_up 0) rather than show stale depths.
      this.reset();
      if (!sources.redisUp()) return;
      for (const { name, queue } of sources.queues()) {
        const counts = await withTimeout(queue.getJobCounts('wait', 'prioritized', 'delayed', 'active', 'failed'));
        if (counts) for (const [state, n] of Object.entries(counts)) this.set({ queue: name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'sluice_queue_oldest_waiting_seconds',
    help: `Age of the oldest job ready to run (the wait list, and the next ${OLDEST_SAMPLE} of the prioritized set)`,
    labelNames: ['queue'],
    registers,
    async collect() {
      this.reset();
      if (!sources.redisUp()) return;
      for (const { name, queue } of sources.queues()) {
        const oldest = await withTimeout(oldestWaiting(sources.redis, queue));
        if (oldest !== undefined) this.set({ queue: name }, oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      }
    },
  });

  const metrics: RuntimeMetrics = {
    runStarted: (pipeline, trigger) => runsStarted.inc({ pipeline, trigger }),
    runEnded: (pipeline, status) => runsEnded.inc({ pipeline, status }),
    shardEnded(kind, pipeline, outcome, seconds) {
      shards.inc({ pipeline, kind, outcome });
      shardSeconds.observe({ pipeline, kind }, seconds);
    },
    records(pipeline, counts) {
      for (const [outcome, n] of Object.entries(counts)) if (n > 0) records.inc({ pipeline, outcome }, n);
    },
    stepTimed: (pipeline, step, seconds) => stepSeconds.observe({ pipeline, step }, seconds),
    sourceRead(connector, outcome, seconds) {
      sourceReads.inc({ connector, outcome });
      sourceSeconds.observe({ connector }, seconds);
    },
    sourceRateLimitWait(connector, waitMs) {
      sourceWaits.inc({ connector });
      sourceWaitSeconds.inc({ connector }, waitMs / 1000);
    },
    limiterGranted(key, n, waitMs) {
      granted.inc({ key });
      if (n > 0) grantedTokens.inc({ key }, n);
      waitSeconds.observe({ key }, waitMs / 1000);
    },
    limiterDeferred: (key, reason) => deferred.inc({ key, reason }),
    limiterSettled: (key, kind) => settled.inc({ key, kind }),
    llmUsage(provider, model, delta) {
      if (delta.promptTokens > 0) tokens.inc({ provider, model, kind: 'prompt' }, delta.promptTokens);
      if (delta.completionTokens > 0) tokens.inc({ provider, model, kind: 'completion' }, delta.completionTokens);
      if (delta.costMicros > 0) cost.inc({ provider, model }, delta.costMicros / 1e6);
      if (delta.calls > 0) calls.inc({ provider, model, cached: 'false' }, delta.calls);
      if (delta.cachedCalls > 0) calls.inc({ provider, model, cached: 'true' }, delta.cachedCalls);
    },
  };
  return { registry, metrics };
}

/**
 * Enqueue time (ms) of the oldest job ready to run, null for an empty queue. The wait list is FIFO
 * (its oldest job is at its right end); prioritized jobs run by priority, so only the next ones
 * to run are looked at: how long the head of the queue has waited.
 */
async function oldestWaiting(client: RedisClient, queue: Queue): Promise<number | null> {
  const [tail, head] = await Promise.all([client.lrange(queue.keys.wait!, -1, -1), client.zrange(queue.keys.prioritized!, 0, String(OLDEST_SAMPLE - 1))]);
  const ids = [...tail, ...head];
  if (ids.length === 0) return null;
  const pipeline = client.pipeline();
  for (const id of ids) pipeline.hget(queue.toKey(id), 'timestamp');
  const stamps = ((await pipeline.exec()) ?? []).map(([, value]: [unknown, unknown]) => Number(value)).filter((n: number) => Number.isFinite(n) && n > 0);
  return stamps.length === 0 ? null : Math.min(...stamps);
}

async function withTimeout<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, SCRAPE_REDIS_TIMEOUT_MS, undefined)));
  try {
    return await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
