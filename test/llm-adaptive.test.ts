import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, summarize, type RunSnapshot } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluices: Sluice[] = [];
let mock: MockLlm | undefined;
let prefix = '';
afterEach(async () => {
  await Promise.all(sluices.map((s) => s.close()));
  await mock?.close();
  sluices = [];
  mock = undefined;
  await deletePrefix(prefix);
});

function pipeline(count: number, attempts: number) {
  return definePipeline({
    id: 'adapt',
    source: synthetic.records({ count, pageSize: count }),
    sharding: { batchSize: 4 },
    retries: { attempts, backoffMs: 20 },
    steps: (records) => records.pipe(summarize({ model: 'gpt-4o-mini', text: (r) => r.text, maxTokens: 32 })),
  });
}

/** Two worker "processes" (separate runtimes and connections) sharing one Redis and one limiter key. */
function twoWorkers(count: number, attempts: number, rpm: number): Sluice {
  prefix = uniquePrefix('llm-adapt');
  for (let i = 0; i < 2; i++) {
    const s = createSluice(
      defineConfig({
        prefix,
        pipelines: [pipeline(count, attempts)],
        llm: {
          providers: { openai: { baseURL: mock!.url, apiKey: 'k', limits: { 'gpt-4o-mini': { rpm } } } },
          maxWaitInWorkerMs: 200,
        },
        limiter: { circuitThreshold: 3, cooldownMs: 200, maxCooldownMs: 1000 },
        progress: { intervalMs: 0 },
      }),
    );
    s.startWorker({ concurrency: 2 });
    sluices.push(s);
  }
  return sluices[0]!;
}

describe('adaptive limits', () => {
  it('a 429 pauses the key for every worker, uses no attempt, and the limits in its headers replace wrong configured ones', async () => {
    // The provider allows 14 requests a minute (a burst of 14, then one every 4.3 s); the config claims 6000.
    // 16 calls go out together before any answer (slow answers) so the first wave overruns it.
    mock = await startMockLlm({ rpm: 14, latencyMs: 300, faithful: false });
    const s = twoWorkers(16, 1, 6000);
    const run = await waitForRun(s, 'u1', (await s.startRun('adapt', { userId: 'u1' })).runId, 170_000);
    // With a single attempt per shard, the run can only complete if the 429s spent none.
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ processed: 16, failed: 0 });
    expect(mock.stats().rateLimited).toBeGreaterThan(0);
    expect(await withStore(s.config.prefix!, ({ redis, keys }) => redis.hget(keys.limiter('openai:gpt-4o-mini'), 'ceilRpm'))).toBe('14');
    // After the first wave the workers pace themselves by the learned limit: few 429s in all.
    expect(mock.stats().rateLimited).toBeLessThanOrEqual(16 - 14 + 2);
    // Paced at the learned rate (a few calls a minute), the run takes close to a minute by design.
  }, 180_000);

  it('an outage opens the circuit; work waits, shows it in progress until the provider answers again, and resumes', async () => {
    mock = await startMockLlm({ outage: true });
    const s = twoWorkers(8, 3, 6000);
    const { runId } = await s.startRun('adapt', { userId: 'u2' });
    // Wait for the run to say it is waiting on the provider, then end the outage.
    let after: string | undefined;
    let waiting: RunSnapshot['waiting'];
    while (!waiting) {
      for (const event of await s.events('u2', { after, blockMs: 1000 })) {
        after = event.id;
        if ('run' in event && event.run.waiting) waiting = event.run.waiting;
      }
    }
    expect(waiting).toMatchObject({ on: 'openai:gpt-4o-mini', reason: 'provider unavailable' });
    const failedWhileOut = mock.stats().serverErrors;
    mock.setOptions({ outage: false });
    // The wait ends with the provider's first answer, not when its cooldown runs out: the first
    // event that shows a paid call shows no wait.
    let firstPaid: RunSnapshot | undefined;
    while (!firstPaid) {
      for (const event of await s.events('u2', { after, blockMs: 1000 })) {
        after = event.id;
        if ('run' in event && (event.run.usage?.calls ?? 0) > 0) firstPaid ??= event.run;
      }
    }
    expect(firstPaid.waiting).toBeUndefined();
    const run = await waitForRun(s, 'u2', runId);
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ processed: 8, failed: 0 });
    expect(run.waiting).toBeUndefined();
    // The circuit stopped the hammering: far fewer failed calls than (records x attempts).
    expect(failedWhileOut).toBeLessThan(8 * 3);
  });
});
