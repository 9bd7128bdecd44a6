import { context, trace, SpanStatusCode, type Span, type SpanOptions, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Limiter } from '../src/limiter/limiter.js';
import { UsageMeter, type LlmRuntime } from '../src/pipeline/llm.js';
import { observeShards } from '../src/runtime/observe-shard.js';
import { observedLimiter, observedLlm, observedRead } from '../src/runtime/observed.js';
import { createPrometheusMetrics } from '../src/runtime/prometheus.js';
import { SourceRateLimitError } from '../src/index.js';
import { sample } from './support/prometheus.js';

const metricsOf = (limits = {}) => createPrometheusMetrics({ queues: () => [], redis: {} as Redis, pipelines: [], limits, redisUp: () => true });

const fakeLimiter = (): Limiter => ({
  tryAcquire: async () => ({ granted: true, at: 0, waitMs: 0, grant: { at: 0, requests: 1, tokens: 0 } }),
  acquire: async () => ({ at: 0, requests: 1, tokens: 0 }),
  settle: async () => {},
  limits: () => ({}),
});

describe('Prometheus metrics', () => {
  it('each Sluice instance has a Registry of its own: two in one process do not collide or share counts', async () => {
    const a = metricsOf();
    const b = metricsOf();
    a.metrics.shardEnded('batch', 'p', 'completed', 0.1);
    expect(sample(await a.registry.metrics(), 'sluice_shards_total', { pipeline: 'p', kind: 'batch', outcome: 'completed' })).toBe(1);
    expect(sample(await b.registry.metrics(), 'sluice_shards_total', { pipeline: 'p', kind: 'batch', outcome: 'completed' })).toBeUndefined();
  });

  it("counts a user's limiter key under its configured template, and 429s fed back to the limiter", async () => {
    const limits = { 'gmail:user:{userId}': { tpm: 15_000 }, 'openai:gpt-4o-mini': { rpm: 500 } };
    const { registry, metrics } = metricsOf(limits);
    const limiter = observedLimiter(fakeLimiter(), limits, metrics);
    await limiter.acquire('gmail:user:42', 5, 2000);
    await limiter.acquire('gmail:user:43', 5, 2000);
    await limiter.settle('openai:gpt-4o-mini', 10, { kind: 'rate_limited', retryAfterMs: 1000 });
    const text = await registry.metrics();
    expect(sample(text, 'sluice_limiter_requests_total', { key: 'gmail:user:{userId}' })).toBe(2);
    expect(sample(text, 'sluice_limiter_tokens_total', { key: 'gmail:user:{userId}' })).toBe(10);
    expect(text).not.toContain('gmail:user:42');
    expect(sample(text, 'sluice_limiter_responses_total', { key: 'openai:gpt-4o-mini', kind: 'rate_limited' })).toBe(1);
    expect(sample(text, 'sluice_limiter_limit', { key: 'gmail:user:{userId}', kind: 'tpm' })).toBe(15_000);
  });

  it('counts a wait too long for the worker slot as a deferral, by reason', async () => {
    const limits = { 'openai:gpt-4o-mini': { rpm: 1 } };
    const { registry, metrics } = metricsOf(limits);
    const { LimiterWaitError } = await import('../src/limiter/errors.js');
    const limiter = observedLimiter({ ...fakeLimiter(), acquire: async (key) => Promise.reject(new LimiterWaitError(key, 30_000, 'rate')) }, limits, metrics);
    await expect(limiter.acquire('openai:gpt-4o-mini', 1, 2000)).rejects.toThrow(LimiterWaitError);
    expect(sample(await registry.metrics(), 'sluice_limiter_deferrals_total', { key: 'openai:gpt-4o-mini', reason: 'rate' })).toBe(1);
  });
});

/** A tracer provider that keeps the spans it is given: the test's stand-in for an OpenTelemetry SDK. */
const spans: { name: string; attributes: Record<string, unknown>; status?: number; ended: boolean }[] = [];
const recordingTracer: Tracer = {
  startSpan(name: string, options?: SpanOptions): Span {
    const record = { name, attributes: { ...options?.attributes }, status: undefined as number | undefined, ended: false };
    spans.push(record);
    const span = {
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
      setAttribute: () => span,
      setAttributes: () => span,
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      setStatus: (status: { code: number }) => ((record.status = status.code), span),
      updateName: () => span,
      end: () => void (record.ended = true),
      isRecording: () => true,
      recordException: () => {},
    } as unknown as Span;
    return span;
  },
  startActiveSpan(name: string, ...args: unknown[]) {
    const fn = args.at(-1) as (span: Span) => unknown;
    const options = (args.length > 1 ? args[0] : {}) as SpanOptions;
    const span = this.startSpan(name, options);
    return context.with(trace.setSpan(context.active(), span), () => fn(span));
  },
} as Tracer;
const provider: TracerProvider = { getTracer: () => recordingTracer };

describe('OpenTelemetry spans', () => {
  beforeAll(() => void trace.setGlobalTracerProvider(provider));
  afterAll(() => trace.disable());

  it('a page read and an LLM call each get a span once an SDK is registered; a failed read is marked an error', async () => {
    const { metrics } = metricsOf();
    await observedRead(metrics, 'numbers', async () => ({ records: [] }));
    await expect(observedRead(metrics, 'numbers', () => Promise.reject(new SourceRateLimitError('slow down', 'numbers', 500)))).rejects.toThrow('slow down');
    const llm: LlmRuntime = {
      async chat(_request, usage) {
        usage.add(12, 3, 40);
        return 'answer';
      },
      embed: async () => [],
    };
    const usage = new UsageMeter();
    await observedLlm(llm, metrics).chat({ provider: 'openai', model: 'gpt-4o-mini', messages: [], maxTokens: 5, cacheScope: 's' }, usage);
    // The batch's own meter still sees the call.
    expect(usage.usage).toMatchObject({ promptTokens: 12, completionTokens: 3, costMicros: 40, calls: 1 });
    expect(spans.map((s) => [s.name, s.status, s.ended])).toEqual([
      ['sluice.source.read', undefined, true],
      ['sluice.source.read', SpanStatusCode.ERROR, true],
      ['sluice.llm.chat', undefined, true],
    ]);
    expect(spans[0]!.attributes).toEqual({ 'sluice.connector': 'numbers' });
    expect(spans[2]!.attributes).toEqual({ 'sluice.llm.provider': 'openai', 'sluice.llm.model': 'gpt-4o-mini' });
  });

  it('each shard attempt gets a span with its ids; a shard put back to wait is not an error, a failed one is', async () => {
    spans.length = 0;
    const { metrics, registry } = metricsOf();
    const job = { name: 'batch', id: 'r1.s0p0b0', attemptsMade: 0, data: { runId: 'r1', userId: 'ada', pipelineId: 'p' } } as unknown as Job;
    const log = pino({ level: 'silent' });
    await observeShards(async () => {}, metrics, log)(job, undefined, undefined);
    await expect(observeShards(() => Promise.reject(new DelayedError()), metrics, log)(job, undefined, undefined)).rejects.toThrow(DelayedError);
    await expect(observeShards(() => Promise.reject(new UnrecoverableError('bad')), metrics, log)(job, undefined, undefined)).rejects.toThrow('bad');
    expect(spans.map((s) => [s.name, s.status])).toEqual([
      ['sluice.shard', undefined],
      ['sluice.shard', undefined],
      ['sluice.shard', SpanStatusCode.ERROR],
    ]);
    expect(spans[0]!.attributes).toEqual({ 'sluice.shard.kind': 'batch', 'sluice.pipeline': 'p', 'sluice.run': 'r1', 'sluice.shard.id': 'r1.s0p0b0' });
    const text = await registry.metrics();
    for (const outcome of ['completed', 'delayed', 'failed']) expect(sample(text, 'sluice_shards_total', { pipeline: 'p', kind: 'batch', outcome })).toBe(1);
  });
});
