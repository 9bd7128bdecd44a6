import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, loadConfig, type Sluice } from '../src/runtime/index.js';
import { RunStore } from '../src/runtime/run-store.js';
import { closeForkingRedis, forking } from './support/forking.js';
import { deletePrefix, REDIS_URL, uniquePrefix, withStore } from './support/redis.js';
import { waitForRun } from './support/wait.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/forks.config.ts', import.meta.url));
// Root chain: 2 pages of 2 records; 5 forks of 2 pages each, 20 records per fork.
const PAGES = ['root', 'root:1', ...['f0', 'f1', 'f2', 'f3', 'f4'].flatMap((f) => [`${f}:0`, `${f}:1`])];
const RECORDS = 4 + 5 * 20;

let sluice: Sluice | undefined;
let prefix = '';
afterEach(async () => {
  await stopAllWorkerProcesses();
  await sluice?.close();
  sluice = undefined;
  closeForkingRedis();
  await deletePrefix(prefix);
});

const reads = (key: string) => withStore(prefix, ({ redis }) => redis.hgetall(`${key}:reads`));

describe('forked pages', () => {
  it('reads every page of every fork exactly once and completes the run once', async () => {
    prefix = uniquePrefix('forks');
    const key = `${prefix}:test`;
    const pipeline = definePipeline({
      id: 'forks',
      source: forking.records({ forks: 5, perFork: 20, key, redisUrl: REDIS_URL }),
      sharding: { batchSize: 5 },
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    sluice.startWorker({ concurrency: 4 });
    const { runId } = await sluice.startRun('forks', { userId: 'ada' });
    const done = await waitForRun(sluice, 'ada', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: RECORDS, processed: RECORDS, failed: 0, written: RECORDS });
    expect(await reads(key)).toEqual(Object.fromEntries(PAGES.map((p) => [p, '1'])));
    expect((await sluice.documents('forks', 'ada')).length).toBe(RECORDS);
    const finals = (await sluice.events('ada')).filter((e) => e.runId === runId && e.type === 'run.completed');
    expect(finals).toHaveLength(1);
  });

  it('a page completed twice registers the same forks once; a retry with fewer forks forgets the rest', async () => {
    prefix = uniquePrefix('forks-retry');
    await withStore(prefix, async ({ redis, keys }) => {
      const runs = new RunStore(redis, keys);
      const ref = { runId: 'r1', pipelineId: 'forks', userId: 'ada' };
      await runs.start(ref, 1, {});
      const commit = { pageId: 's0p0', batchCount: 1, forkCursors: ['c0', 'c1', 'c2', 'c3', 'c4'], source: 's0', discovered: 2, unchanged: 0, failures: [], fullListing: false, bytes: 0 };
      const first = await runs.completePage(ref, commit);
      const second = await runs.completePage(ref, commit);
      expect(second.ordinal).toBe(first.ordinal);
      const run = keys.run('forks', 'ada', 'r1');
      const forks = ['s0p0f0p0', 's0p0f1p0', 's0p0f2p0', 's0p0f3p0', 's0p0f4p0'];
      expect((await redis.smembers(run.pending)).sort()).toEqual(['s0p0b0', ...forks].sort());
      expect(await redis.hget(run.state, 'open:s0')).toBe('5');

      await runs.completePage(ref, { ...commit, forkCursors: ['c0', 'c1', 'c2'] });
      expect((await redis.smembers(run.pending)).sort()).toEqual(['s0p0b0', ...forks.slice(0, 3)].sort());
      expect(await redis.hget(run.state, 'open:s0')).toBe('3');

      // A fork that completed is not registered again by a later retry of its parent.
      await runs.completePage(ref, { ...commit, pageId: 's0p0f4p0', forkCursors: [], batchCount: 0 });
      const again = await runs.completePage(ref, commit);
      expect((await redis.smembers(run.pending)).sort()).toEqual(['s0p0b0', ...forks.slice(0, 4)].sort());
      // ... and is reported done, so the page's job does not queue it again.
      expect([...again.alreadyDone]).toEqual(['s0p0f4p0']);
      // Each registered fork's cursor is kept, for re-queueing a page whose job was lost.
      expect(await runs.pageCursor(ref, 's0p0f2p0')).toBe('c2');
    });
  });

  it('with two worker processes, more than one page is in flight at once', async () => {
    prefix = uniquePrefix('forks-procs');
    const env = { SLUICE_TEST_PREFIX: prefix };
    Object.assign(process.env, env);
    const { config } = await loadConfig(CONFIG);
    sluice = createSluice(defineConfig(config));
    await Promise.all([startWorkerProcess(CONFIG, env), startWorkerProcess(CONFIG, env)]);
    const { runId } = await sluice.startRun('forks', { userId: 'bo' });
    const done = await waitForRun(sluice, 'bo', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: RECORDS, processed: RECORDS, failed: 0 });
    const key = `${prefix}:test`;
    expect(await reads(key)).toEqual(Object.fromEntries(PAGES.map((p) => [p, '1'])));
    expect(Number(await withStore(prefix, ({ redis }) => redis.get(`${key}:max`)))).toBeGreaterThan(1);
  });
});
