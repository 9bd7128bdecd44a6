import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { defineConfig } from '../src/index.js';
import { createSluice, loadConfig, type Sluice } from '../src/runtime/index.js';
import { createProgressServer, createProgressToken, type ProgressServer } from '../src/server/index.js';
import type { ListeningServer } from '../src/server/listen.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { sample, scrape } from './support/prometheus.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { openSse, type SseStream } from './support/sse.js';
import { waitForRun } from './support/wait.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/observe.config.ts', import.meta.url));
const SECRET = 'observability-test-secret-0123456789abcdef';
const METRICS_TOKEN = 'metrics-token-0123456789';

let sluice: Sluice | undefined;
let mock: MockLlm | undefined;
let server: ProgressServer | undefined;
let listening: ListeningServer | undefined;
let stream: SseStream | undefined;
let prefix = '';

afterEach(async () => {
  stream?.close();
  await stopAllWorkerProcesses();
  await listening?.close();
  await sluice?.close();
  await mock?.close();
  stream = server = listening = sluice = mock = undefined;
  await deletePrefix(prefix);
});

describe('metrics and logs during a run', () => {
  it('the server and a worker process (--metrics-port) expose queue, shard, record, step, limiter, LLM, connector and SSE series; logs are JSON with run, user and shard ids', async () => {
    prefix = uniquePrefix('observe');
    mock = await startMockLlm({});
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_LLM_URL: mock.url, SLUICE_TEST_RECORDS: '40' };
    Object.assign(process.env, env);
    const { config } = await loadConfig(CONFIG);
    sluice = createSluice(defineConfig(config), { logger: pino({ level: 'silent' }) });
    const queue = sluice.config.pipelines[0]!.queue;
    server = createProgressServer({ sluice, secret: SECRET, metrics: { token: METRICS_TOKEN } });
    listening = await server.listen(0);
    const auth = { authorization: `Bearer ${METRICS_TOKEN}` };

    // The server's /metrics asks for its token.
    expect((await fetch(`${listening.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${listening.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);

    // A run with no worker yet: its first page waits in the queue, and the server shows it.
    const { runId } = await sluice.startRun('observed', { userId: 'ada' });
    stream = await openSse(`${listening.url}/v1/users/ada/progress/stream?token=${createProgressToken({ userId: 'ada', secret: SECRET })}`);
    await stream.nextMessage();
    const waiting = await scrape(`${listening.url}/metrics`, auth);
    const queued = (sample(waiting, 'sluice_queue_jobs', { queue, state: 'wait' }) ?? 0) + (sample(waiting, 'sluice_queue_jobs', { queue, state: 'prioritized' }) ?? 0);
    expect(queued).toBe(1);
    expect(sample(waiting, 'sluice_queue_oldest_waiting_seconds', { queue })).toBeGreaterThanOrEqual(0);
    expect(sample(waiting, 'sluice_sse_connections')).toBe(1);
    expect(sample(waiting, 'sluice_redis_up')).toBe(1);
    expect(sample(waiting, 'sluice_runs_started_total', { pipeline: 'observed', trigger: 'manual' })).toBe(1);
    expect(sample(waiting, 'sluice_pipeline_queue', { pipeline: 'observed', queue })).toBe(1);
    expect(sample(waiting, 'sluice_limiter_limit', { key: 'openai:gpt-4o-mini', kind: 'rpm' })).toBe(6000);

    const worker = await startWorkerProcess(CONFIG, { ...env, SLUICE_LOG_LEVEL: 'debug' }, ['--metrics-port', '0']);
    const metricsUrl = /sluice worker metrics at (\S+)/.exec(worker.output())?.[1];
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const done = await waitForRun(sluice, 'ada', runId);
    expect(done.counts).toMatchObject({ processed: 40, failed: 0 });

    const text = await scrape(metricsUrl!);
    const pipeline = 'observed';
    expect(sample(text, 'sluice_runs_ended_total', { pipeline, status: 'completed' })).toBe(1);
    expect(sample(text, 'sluice_shards_total', { pipeline, kind: 'page', outcome: 'completed' })).toBe(4);
    expect(sample(text, 'sluice_shards_total', { pipeline, kind: 'page', outcome: 'delayed' })).toBe(1);
    expect(sample(text, 'sluice_shards_total', { pipeline, kind: 'batch', outcome: 'completed' })).toBe(8);
    expect(sample(text, 'sluice_shard_duration_seconds_count', { pipeline, kind: 'batch' })).toBe(8);
    expect(sample(text, 'sluice_records_total', { pipeline, outcome: 'processed' })).toBe(40);
    expect(sample(text, 'sluice_records_total', { pipeline, outcome: 'written' })).toBe(40);
    expect(sample(text, 'sluice_step_duration_seconds_count', { pipeline, step: 'summarize' })).toBe(8);
    expect(sample(text, 'sluice_connector_requests_total', { connector: 'numbers', outcome: 'ok' })).toBe(4);
    expect(sample(text, 'sluice_connector_requests_total', { connector: 'numbers', outcome: 'rate_limited' })).toBe(1);
    expect(sample(text, 'sluice_connector_rate_limit_waits_total', { connector: 'numbers' })).toBe(1);
    expect(sample(text, 'sluice_connector_rate_limit_wait_seconds_total', { connector: 'numbers' })).toBeCloseTo(0.1);
    expect(sample(text, 'sluice_limiter_requests_total', { key: 'openai:gpt-4o-mini' })).toBe(40);
    expect(sample(text, 'sluice_limiter_responses_total', { key: 'openai:gpt-4o-mini', kind: 'ok' })).toBe(40);
    expect(sample(text, 'sluice_limiter_wait_seconds_count', { key: 'openai:gpt-4o-mini' })).toBe(40);
    const stats = mock.stats();
    expect(sample(text, 'sluice_llm_tokens_total', { provider: 'openai', model: 'gpt-4o-mini', kind: 'prompt' })).toBe(stats.promptTokens);
    expect(sample(text, 'sluice_llm_tokens_total', { provider: 'openai', model: 'gpt-4o-mini', kind: 'completion' })).toBe(stats.completionTokens);
    expect(sample(text, 'sluice_llm_cost_usd_total', { provider: 'openai', model: 'gpt-4o-mini' })).toBeCloseTo(done.usage!.costUsd, 6);
    expect(sample(text, 'sluice_llm_calls_total', { provider: 'openai', model: 'gpt-4o-mini', cached: 'false' })).toBe(40);
    expect(sample(text, 'sluice_queue_jobs', { queue, state: 'active' })).toBe(0);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    // Logs: every line the worker wrote is either one of its human lines or a JSON object; the
    // lines about shards carry the run, the user and the shard.
    const lines = worker.output().split('\n').filter(Boolean);
    const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.filter((line) => !line.startsWith('{')).every((line) => line.startsWith('sluice worker '))).toBe(true);
    const shardLines = json.filter((line) => line.msg === 'shard completed' && line.runId === runId);
    expect(shardLines.length).toBe(12);
    for (const line of shardLines) expect(line).toMatchObject({ level: 'debug', userId: 'ada', pipelineId: 'observed', shard: expect.stringMatching(new RegExp(`^${runId}\\.s0`)) });
    expect(json.find((line) => line.msg === 'shard waits')).toMatchObject({ runId, userId: 'ada', shard: `${runId}.s0p1`, kind: 'page' });
    expect(json.find((line) => line.msg === 'run completed')).toMatchObject({ level: 'info', runId, userId: 'ada', status: 'completed' });
  });
});
