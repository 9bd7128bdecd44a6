import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  await deletePrefix(prefix);
});

describe('run state lifetime', () => {
  it("a finished run's keys expire (a week) while the documents and sync state stay", async () => {
    prefix = uniquePrefix('expiry');
    const pipeline = definePipeline({ id: 'short', source: synthetic.records({ count: 30, pageSize: 10 }) });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline] }));
    sluice.startWorker({ concurrency: 2 });
    const { runId } = await sluice.startRun('short', { userId: 'ex' });
    await waitForRun(sluice, 'ex', runId);
    await withStore(prefix, async ({ redis, keys }) => {
      const run = keys.run('short', 'ex', runId);
      for (const key of [run.state, run.done, run.pages]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(6 * 24 * 3600 * 1000);
        expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
      }
      expect(await redis.pttl(keys.sink('short', 'ex').documents)).toBe(-1);
    });
  });
});
