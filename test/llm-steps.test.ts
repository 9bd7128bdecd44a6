import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineConfig, definePipeline, embed, extract, summarize } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let mock: MockLlm | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  await mock?.close();
  sluice = mock = undefined;
  await deletePrefix(prefix);
});

async function setup(pipeline: ReturnType<typeof definePipeline<any, any>> | ReturnType<typeof definePipeline<any, any>>[], limits: { rpm?: number; tpm?: number } = { rpm: 6000, tpm: 1_000_000 }) {
  prefix = uniquePrefix('llm');
  sluice = createSluice(
    defineConfig({
      prefix,
      pipelines: Array.isArray(pipeline) ? pipeline : [pipeline],
      llm: { providers: { openai: { baseURL: mock!.url, apiKey: 'test-key', limits: { 'gpt-4o-mini': limits, 'text-embedding-3-small': limits } } } },
      progress: { intervalMs: 20 },
    }),
  );
  sluice.startWorker({ concurrency: 4 });
  return sluice;
}

describe('LLM steps', () => {
  it('summarize runs every record through the model, counts tokens and cost, and a re-run pays nothing', async () => {
    mock = await startMockLlm({});
    const pipeline = definePipeline({
      id: 'sum',
      source: synthetic.records({ count: 20, pageSize: 10 }),
      sharding: { batchSize: 5 },
      steps: (records) => records.pipe(summarize({ model: 'gpt-4o-mini', text: (r) => r.text })),
    });
    const s = await setup(pipeline);
    const first = await waitForRun(s, 'u1', (await s.startRun('sum', { userId: 'u1' })).runId);
    expect(first.counts).toMatchObject({ processed: 20, failed: 0 });
    expect(first.usage?.promptTokens).toBe(mock.stats().promptTokens);
    expect(first.usage?.completionTokens).toBe(mock.stats().completionTokens);
    expect(first.usage?.costUsd).toBeGreaterThan(0);
    const docs = await s.documents<{ summary: string }>('sum', 'u1');
    expect(docs.every((d) => d.value.summary.length > 0)).toBe(true);
    expect(mock.stats().ok).toBe(20);

    // Another user with the same content: answers come from the cache, not the provider.
    const second = await waitForRun(s, 'u2', (await s.startRun('sum', { userId: 'u2' })).runId);
    expect(second.counts.processed).toBe(20);
    expect(second.usage).toMatchObject({ calls: 0, promptTokens: 0, completionTokens: 0, costUsd: 0, cachedCalls: 20 });
    expect(mock.stats().requests).toBe(20);
  });

  it('extract retries an invalid answer a bounded number of times, then fails the record with the reason', async () => {
    mock = await startMockLlm({ invalidJson: 1 });
    const schema = z.object({ topic: z.string(), count: z.number() });
    const extraction = (id: string, version: string) =>
      definePipeline({
        id,
        source: synthetic.records({ count: 4, pageSize: 4, version }),
        steps: (records) => records.pipe(extract({ model: 'gpt-4o-mini', text: (r) => r.text, schema, concurrency: 1 })),
      });
    const s = await setup([extraction('ext', '1'), extraction('ext-other', '2')]);
    const ok = await waitForRun(s, 'u1', (await s.startRun('ext', { userId: 'u1' })).runId);
    // One broken answer, retried: every record still gets a valid extraction.
    expect(ok.counts).toMatchObject({ processed: 4, failed: 0 });
    const docs = await s.documents<{ extracted: z.infer<typeof schema> }>('ext', 'u1');
    for (const doc of docs) expect(schema.safeParse(doc.value.extracted).success).toBe(true);

    mock.setOptions({ invalidJson: 1000 });
    const bad = await waitForRun(s, 'u2', (await s.startRun('ext-other', { userId: 'u2' })).runId);
    expect(bad.counts).toMatchObject({ processed: 0, failed: 4 });
    const failure = (await s.events('u2')).find((e) => e.type === 'item.failed');
    expect(failure?.type === 'item.failed' && failure.item.reason).toMatch(/^extract: LlmRequestError: 3 tries, answer (is not JSON|does not match the schema)/);

    // Invalid answers were not cached: with the provider healthy again, the same content is asked again and passes.
    mock.setOptions({ invalidJson: 0 });
    const before = mock.stats().ok;
    const healed = await waitForRun(s, 'u3', (await s.startRun('ext-other', { userId: 'u3' })).runId);
    expect(healed.counts).toMatchObject({ processed: 4, failed: 0 });
    expect(mock.stats().ok - before).toBe(4);
  });

  it('embed batches chunks into few requests and splits a long document by tokens', async () => {
    mock = await startMockLlm({});
    const long = Array.from({ length: 1200 }, (_, i) => `word${i}`).join(' ');
    const pipeline = definePipeline({
      id: 'emb',
      source: synthetic.records({ count: 30, pageSize: 30 }),
      sharding: { batchSize: 30 },
      steps: (records) =>
        records
          .map((r) => ({ n: r.n, text: r.n === 0 ? long : r.text }))
          .pipe(embed({ model: 'text-embedding-3-small', text: (r) => r.text, batchSize: 16, chunkTokens: 512 })),
    });
    const s = await setup(pipeline);
    const run = await waitForRun(s, 'u1', (await s.startRun('emb', { userId: 'u1' })).runId);
    expect(run.counts).toMatchObject({ processed: 30, failed: 0 });
    const docs = await s.documents<{ chunk: string; embedding: number[] }>('emb', 'u1');
    const longDocs = docs.filter((d) => d.sourceId === 'rec-000000');
    expect(longDocs.length).toBeGreaterThan(1);
    expect(longDocs.map((d) => d.id)).toContain('rec-000000#1');
    expect(docs.every((d) => d.value.embedding.length === 64)).toBe(true);
    // 29 short texts + the long one's chunks, 16 inputs per request.
    expect(mock.stats().requests).toBe(Math.ceil((29 + longDocs.length) / 16));
  });

  it('counts every paid call once, when paid, even when its batch is re-queued; cache hits are counted apart', async () => {
    // One batch of 12 calls at once against 1,200 RPM (one request per 50 ms) with 150 ms allowed in a
    // worker: a few calls get slots, the batch goes back to the queue, and its retry reads those from the cache.
    mock = await startMockLlm({ rpm: 1200, tpm: 1_000_000, latencyMs: 20 });
    prefix = uniquePrefix('llm-usage');
    const pipeline = definePipeline({
      id: 'usage',
      source: synthetic.records({ count: 12, pageSize: 12 }),
      sharding: { batchSize: 12 },
      steps: (records) => records.pipe(summarize({ model: 'gpt-4o-mini', text: (r) => r.text, maxTokens: 16, concurrency: 12 })),
    });
    sluice = createSluice(
      defineConfig({
        prefix,
        pipelines: [pipeline],
        llm: { providers: { openai: { baseURL: mock.url, apiKey: 'k', limits: { 'gpt-4o-mini': { rpm: 1200, tpm: 1_000_000 } } } }, maxWaitInWorkerMs: 150 },
        progress: { intervalMs: 0 },
      }),
    );
    sluice.startWorker({ concurrency: 1 });
    const run = await waitForRun(sluice, 'u1', (await sluice.startRun('usage', { userId: 'u1' })).runId);
    expect(run.counts).toMatchObject({ processed: 12, failed: 0 });
    const stats = mock.stats();
    expect(stats.rateLimited).toBe(0);
    // What the provider billed is what the run reports, call for call and token for token.
    expect(run.usage).toMatchObject({ calls: stats.ok, promptTokens: stats.promptTokens, completionTokens: stats.completionTokens });
    expect(stats.ok).toBe(12);
    // The batch was retried: its second attempt found the first one's answers in the cache.
    expect(run.usage?.cachedCalls).toBeGreaterThan(0);

    // A second user with the same content pays nothing and says so.
    const again = await waitForRun(sluice, 'u2', (await sluice.startRun('usage', { userId: 'u2' })).runId);
    expect(again.usage).toMatchObject({ calls: 0, promptTokens: 0, cachedCalls: 12 });
    expect(mock.stats().ok).toBe(12);
  });
});

describe('end user id', () => {
  it('is sent hashed as safety_identifier when the provider is configured to, never in clear', async () => {
    const { createServer } = await import('node:http');
    const { Redis } = await import('ioredis');
    const { createLlmRuntime } = await import('../src/llm/runtime.js');
    const { createLimiter } = await import('../src/limiter/index.js');
    const { createKeys } = await import('../src/store/keys.js');
    const { UsageMeter } = await import('../src/pipeline/llm.js');
    const bodies: Record<string, unknown>[] = [];
    const server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(text) as Record<string, unknown>);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const redis = new Redis();
    prefix = uniquePrefix('llm-user');
    try {
      const keys = createKeys(prefix);
      const port = (server.address() as { port: number }).port;
      const llm = createLlmRuntime(redis, keys, createLimiter(redis, keys, {}), {
        providers: { openai: { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', endUserId: 'safety_identifier' } },
      });
      await llm.chat({ provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5, cacheScope: 's', userId: 'alice@example.com' }, new UsageMeter());
      expect(bodies[0]?.safety_identifier).toMatch(/^[0-9a-f]{32}$/);
      expect(JSON.stringify(bodies[0])).not.toContain('alice');
    } finally {
      redis.disconnect();
      server.close();
    }
  });
});
