import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, summarize } from '../src/index.js';
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

describe('LLM usage accounting', () => {
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
