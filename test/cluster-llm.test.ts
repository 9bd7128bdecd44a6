import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, summarize } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { createKeys } from '../src/store/keys.js';
import { useRedisCluster } from './support/use-redis-cluster.js';
import { uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

const cluster = useRedisCluster();
let sluice: Sluice | undefined;
let mock: MockLlm | undefined;
afterEach(async () => {
  await sluice?.close();
  await mock?.close();
  sluice = mock = undefined;
});

describe('Redis Cluster: LLM steps', () => {
  it('summarize on a cluster: calls limited, usage counted once, cache entries on every master served to a second user', async () => {
    mock = await startMockLlm({});
    const prefix = uniquePrefix('cluster-llm');
    const pipeline = definePipeline({
      id: 'sum',
      source: synthetic.records({ count: 30, pageSize: 10 }),
      sharding: { batchSize: 5 },
      steps: (records) => records.pipe(summarize({ model: 'gpt-4o-mini', text: (r) => r.text })),
    });
    sluice = createSluice(
      defineConfig({
        prefix,
        redis: cluster().url,
        pipelines: [pipeline],
        llm: { providers: { openai: { baseURL: mock.url, apiKey: 'test-key', limits: { 'gpt-4o-mini': { rpm: 6000, tpm: 1_000_000 } } } } },
        progress: { intervalMs: 20 },
      }),
    );
    sluice.startWorker({ concurrency: 4 });
    const [first, second] = await cluster().spread(2, (i) => `llm-u${i}`, (user) => createKeys(prefix).progress(user).events);

    const a = await waitForRun(sluice, first!, (await sluice.startRun('sum', { userId: first! })).runId);
    expect(a.counts).toMatchObject({ processed: 30, failed: 0 });
    expect(a.usage).toMatchObject({ calls: 30, promptTokens: mock.stats().promptTokens, completionTokens: mock.stats().completionTokens });
    expect(mock.stats().ok).toBe(30);

    // The cache's 30 keys spread over the masters; a user on another master reads them all (one GET each).
    const b = await waitForRun(sluice, second!, (await sluice.startRun('sum', { userId: second! })).runId);
    expect(b.counts.processed).toBe(30);
    expect(b.usage).toMatchObject({ calls: 0, cachedCalls: 30 });
    expect(mock.stats().requests).toBe(30);
  }, 60_000);
});
