import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, type ProgressEntry, type RunSnapshot } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { ProgressPublisher } from '../src/progress/publisher.js';
import { readSnapshot } from '../src/progress/reader.js';
import { compareStreamIds } from '../src/util/stream-id.js';
import { createKeys } from '../src/store/keys.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
});

function start(count: number, options: { intervalMs?: number; maxEvents?: number; failEvery?: number } = {}) {
  prefix = uniquePrefix('progress');
  const pipeline = definePipeline({
    id: 'prog',
    source: synthetic.records({ count, pageSize: 200 }),
    sharding: { batchSize: 20 },
    steps: (records) =>
      records.map((r) => {
        if (options.failEvery && r.n % options.failEvery === 0) throw new Error(`bad record ${r.n}`);
        return r;
      }),
  });
  sluice = createSluice(
    defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: options.intervalMs ?? 100, maxEvents: options.maxEvents ?? 1000, maxItemFailures: 5 } }),
  );
  sluice.startWorker({ concurrency: 8 });
  return sluice;
}

const runEvents = (events: ProgressEntry[]) => events.filter((e): e is ProgressEntry & { run: RunSnapshot } => 'run' in e);

describe('progress in Redis streams', () => {
  it('arrive in order with counts that never go backwards, coalesced, ending with one final event consistent with the sink', async () => {
    const s = start(2000);
    const { runId } = await s.startRun('prog', { userId: 'ivy' });
    const final = await waitForRun(s, 'ivy', runId);
    const events = await s.events('ivy');
    const ids = events.map((e) => e.id);
    expect([...ids].sort((a, b) => compareStreamIds(a, b)!)).toEqual(ids);

    const runs = runEvents(events);
    expect(runs[0]!.type).toBe('run.started');
    expect(runs.at(-1)!.type).toBe('run.completed');
    expect(runs.filter((e) => e.type === 'run.completed')).toHaveLength(1);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.run.seq).toBeGreaterThan(runs[i - 1]!.run.seq);
      expect(runs[i]!.run.counts.processed).toBeGreaterThanOrEqual(runs[i - 1]!.run.counts.processed);
    }
    // 2000 records make 100 batches and 10 pages; coalescing keeps events far fewer than shards.
    expect(runs.length).toBeLessThan(40);
    expect(final.counts).toMatchObject({ discovered: 2000, processed: 2000, written: 2000, total: 2000 });
    expect(await withStore(s.config.prefix!, ({ redis, keys }) => redis.hlen(keys.sink('prog', 'ivy').documents))).toBe(final.counts.written);
    const [snapshot] = await s.status('ivy');
    expect(snapshot).toEqual(final);
  });

  it('a reader resuming from a stream id gets exactly the events it missed', async () => {
    const s = start(600, { intervalMs: 0 });
    const { runId } = await s.startRun('prog', { userId: 'jo' });
    await waitForRun(s, 'jo', runId);
    const all = await s.events('jo');
    expect(all.length).toBeGreaterThan(4);
    const cut = Math.floor(all.length / 2);
    const resumed = await s.events('jo', { after: all[cut - 1]!.id });
    expect(resumed).toEqual(all.slice(cut));
  });

  it('reports failed items as events, up to the configured number, while counting all of them', async () => {
    const s = start(400, { failEvery: 25 });
    const { runId } = await s.startRun('prog', { userId: 'kai' });
    const final = await waitForRun(s, 'kai', runId);
    expect(final.status).toBe('completed');
    expect(final.counts).toMatchObject({ failed: 16, processed: 384 });
    const failures = (await s.events('kai')).filter((e) => e.type === 'item.failed');
    expect(failures).toHaveLength(5);
    for (const f of failures) if (f.type === 'item.failed') expect(f.item.reason).toMatch(/^map: bad record \d+$/);
  });

  it("keeps a user's snapshot to a bound, dropping the oldest finished runs", async () => {
    prefix = uniquePrefix('progress-runs');
    const keys = createKeys(prefix);
    const { Redis } = await import('ioredis');
    const redis = new Redis();
    try {
      const publisher = new ProgressPublisher(redis, keys, { maxEvents: 1000, intervalMs: 0, maxRuns: 5 });
      const run = (i: number, status: RunSnapshot['status']): RunSnapshot => ({
        runId: `r${(1_700_000_000_000 + i).toString(36)}x`, pipeline: 'p', userId: 'mo', status, startedAt: new Date(1_700_000_000_000 + i).toISOString(), seq: 1,
        counts: { discovered: 0, processed: 0, skipped: 0, failed: 0, written: 0 },
      });
      await publisher.publishRun('run.started', run(0, 'running')); // the oldest, still running: kept
      for (let i = 1; i <= 30; i++) await publisher.publishRun('run.completed', run(i, 'completed'));
      const runs = await readSnapshot(redis, keys, 'mo');
      expect(runs.length).toBeLessThanOrEqual(20);
      expect(runs.some((r) => r.runId === run(0, 'running').runId)).toBe(true);
      expect(runs.some((r) => r.runId === run(30, 'completed').runId)).toBe(true);
      expect(runs.some((r) => r.runId === run(1, 'completed').runId)).toBe(false);
    } finally {
      redis.disconnect();
    }
  });

  it('trims each stream to a bound and rejects a stale state published after a newer one', async () => {
    prefix = uniquePrefix('progress-trim');
    const keys = createKeys(prefix);
    const { Redis } = await import('ioredis');
    const redis = new Redis();
    try {
      const publisher = new ProgressPublisher(redis, keys, { maxEvents: 10, intervalMs: 0 });
      const run = (seq: number): RunSnapshot => ({
        runId: 'r1', pipeline: 'p', userId: 'lu', status: 'running', startedAt: new Date().toISOString(), seq,
        counts: { discovered: seq, processed: seq, skipped: 0, failed: 0, written: seq },
      });
      for (let seq = 1; seq <= 600; seq++) await publisher.publishRun('run.progress', run(seq));
      // Approximate trimming removes whole nodes of the stream: the bound holds within one node (100 entries).
      expect(await redis.xlen(keys.progress('lu').events)).toBeLessThanOrEqual(110);
      expect(await publisher.publishRun('run.progress', run(300))).toBeNull();
      const snapshot = JSON.parse((await redis.hget(keys.progress('lu').snapshot, 'r1'))!) as RunSnapshot;
      expect(snapshot.seq).toBe(600);
    } finally {
      redis.disconnect();
    }
  });
});
