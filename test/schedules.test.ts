import { QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline, SourceAuthError, type Page, type Source } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
});

interface TestSource {
  source: Source<{ n: number }>;
  /** User ids in the order their pages were read. */
  reads: string[];
}

/** One page of one record per run; `before` runs inside the read (to hold it, or to throw). */
function testSource(before?: (userId: string) => Promise<void> | void): TestSource {
  const reads: string[] = [];
  const source: Source<{ n: number }> = {
    connector: 'test',
    stream: 'test.records',
    changeFeed: 'full',
    fullListing: true,
    watermark: 'timestamp',
    params: {},
    async read(context: { userId: string }): Promise<Page<{ n: number }>> {
      reads.push(context.userId);
      await before?.(context.userId);
      return { records: [{ id: `r-${context.userId}`, hash: String(Date.now()), data: { n: 1 } }] };
    },
  } as unknown as Source<{ n: number }>;
  return { source, reads };
}

function open(name: string, pipeline: { id: string }): Sluice {
  prefix ||= uniquePrefix(name);
  return createSluice(defineConfig({ prefix, pipelines: [pipeline as ReturnType<typeof definePipeline>], progress: { intervalMs: 0 } }));
}

/** Resolves with the next event of `user` matching `match`. */
async function nextEvent(s: Sluice, user: string, match: (e: Awaited<ReturnType<Sluice['events']>>[number]) => boolean) {
  let after: string | undefined = '0';
  for (;;) {
    for (const event of await s.events(user, { after, blockMs: 1000 })) {
      after = event.id;
      if (match(event)) return event;
    }
  }
}

function queueEvents(queue: string): QueueEvents {
  const events = new QueueEvents(queue, { connection: { url: REDIS_URL } as never, prefix: `{${prefix}}` });
  cleanups.push(() => events.close());
  return events;
}

describe('schedules', () => {
  it('fires on time: a 1 s schedule starts a re-sync run that completes', async () => {
    const { source } = testSource();
    sluice = open('sched-fire', definePipeline({ id: 'fresh', source }));
    sluice.startWorker({ concurrency: 2 });
    const info = await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'u1', every: '1s' });
    expect(info).toMatchObject({ every: 1000, status: 'active', origin: 'user' });
    expect(info.nextRunAt).toBeDefined();
    const done = await nextEvent(sluice, 'u1', (e) => e.type === 'run.completed');
    // A run a schedule started is recognisable by its id.
    expect(done.runId.startsWith('s')).toBe(true);
  });

  it('computes cron fire times in the schedule\'s time zone', async () => {
    sluice = open('sched-tz', definePipeline({ id: 'fresh', source: testSource().source }));
    const ny = await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'ny', cron: '30 9 * * *', tz: 'America/New_York' });
    const tokyo = await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'tokyo', cron: '30 9 * * *', tz: 'Asia/Tokyo' });
    const local = (iso: string, timeZone: string) =>
      new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
    expect(local(ny.nextRunAt!, 'America/New_York')).toBe('09:30');
    expect(local(tokyo.nextRunAt!, 'Asia/Tokyo')).toBe('09:30');
    // The same wall-clock time is a different instant in each zone.
    expect(local(ny.nextRunAt!, 'UTC')).not.toBe(local(tokyo.nextRunAt!, 'UTC'));
    await expect(sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'x', cron: '0 * * * *', tz: 'Mars/Olympus' })).rejects.toThrow(/time zone/);
    await expect(sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'x', every: 'often' })).rejects.toThrow(/interval/);
  });

  it('never overlaps: a re-sync that comes due while one runs is skipped', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { source, reads } = testSource(() => held);
    sluice = open('sched-overlap', definePipeline({ id: 'fresh', source }));
    sluice.startWorker({ concurrency: 4 });
    const events = queueEvents('default');
    await events.waitUntilReady();
    // Two schedule jobs done: the first started the run, the second found it still going.
    let scheduleJobsDone = 0;
    const twoFired = new Promise<void>((resolve) =>
      events.on('completed', ({ jobId }) => {
        if (jobId.startsWith('repeat:') && ++scheduleJobsDone === 2) resolve();
      }),
    );
    await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'slow', every: '1s' });
    await twoFired;
    const info = await sluice.schedules.get({ pipelineId: 'fresh', userId: 'slow' });
    expect(info?.lastSkippedAt).toBeDefined();
    const runs = await sluice.status('slow');
    expect(runs.filter((r) => r.status === 'running')).toHaveLength(1);
    expect(reads).toEqual(['slow']);
    release();
    await waitForRun(sluice, 'slow', runs[0]!.runId);
  });

  it('after a restart with the same definitions, each schedule exists exactly once', async () => {
    const pipeline = definePipeline({ id: 'fresh', source: testSource().source });
    sluice = open('sched-restart', pipeline);
    const first = await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'u1', every: '6h' });
    await sluice.close();
    sluice = open('sched-restart', pipeline);
    const again = await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'u1', every: '6h' });
    expect(again.nextRunAt).toBe(first.nextRunAt);
    const { Queue } = await import('bullmq');
    const queue = new Queue('default', { connection: { url: REDIS_URL } as never, prefix: `{${prefix}}` });
    try {
      expect(await queue.getJobSchedulersCount()).toBe(1);
      expect(await queue.getDelayedCount()).toBe(1);
      expect(await sluice.schedules.list()).toHaveLength(1);
      // Removing removes it everywhere: the record, the scheduler and its next job.
      expect(await sluice.schedules.remove({ pipelineId: 'fresh', userId: 'u1' })).toBe(true);
      expect(await queue.getJobSchedulersCount()).toBe(0);
      expect(await queue.getDelayedCount()).toBe(0);
      expect(await sluice.schedules.list('u1')).toEqual([]);
    } finally {
      await queue.close();
    }
  });

  it("jitter spreads 1,000 users' first fire times across a 6 h interval", async () => {
    sluice = open('sched-jitter', definePipeline({ id: 'fresh', source: testSource().source }));
    const every = 6 * 3600_000;
    const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    for (let i = 0; i < users.length; i += 100) {
      await Promise.all(users.slice(i, i + 100).map((userId) => sluice!.schedules.upsert({ pipelineId: 'fresh', userId, every: '6h' })));
    }
    const schedules = await sluice.schedules.list();
    expect(schedules).toHaveLength(1000);
    // Each user's slot in the interval: 24 bins of 15 minutes, ~41.7 users each when uniform.
    const bins = new Array<number>(24).fill(0);
    for (const s of schedules) bins[Math.floor(((Date.parse(s.nextRunAt!) % every) / every) * 24)]! += 1;
    expect(Math.max(...bins)).toBeLessThan(70);
    expect(Math.min(...bins)).toBeGreaterThan(20);
    const distinctSeconds = new Set(schedules.map((s) => Math.floor(Date.parse(s.nextRunAt!) / 1000)));
    expect(distinctSeconds.size).toBeGreaterThan(950);
  });

  it("onboarding priority: a new user's first batch runs before 2,000 queued re-syncs", async () => {
    const { source, reads } = testSource();
    sluice = open('sched-priority', definePipeline({ id: 'fresh', source }));
    const scheduled = Array.from({ length: 2000 }, (_, i) => `old-${i}`);
    for (let i = 0; i < scheduled.length; i += 200) {
      await Promise.all(scheduled.slice(i, i + 200).map((userId) => sluice!.startRun('fresh', { userId, trigger: 'schedule' })));
    }
    const newcomer = await sluice.startRun('fresh', { userId: 'newcomer', trigger: 'onboarding' });
    sluice.startWorker({ concurrency: 1 });
    await waitForRun(sluice, 'newcomer', newcomer.runId);
    expect(reads[0]).toBe('newcomer');
  });

  it('applies the pipeline default when a first run completes; a per-user schedule overrides it', async () => {
    sluice = open('sched-default', definePipeline({ id: 'fresh', source: testSource().source, schedule: { every: '6h' } }));
    sluice.startWorker({ concurrency: 2 });
    expect(await sluice.schedules.get({ pipelineId: 'fresh', userId: 'u1' })).toBeUndefined();
    const run = await sluice.startRun('fresh', { userId: 'u1', input: { repos: ['octo/a'] } });
    await waitForRun(sluice, 'u1', run.runId);
    const applied = await sluice.schedules.get({ pipelineId: 'fresh', userId: 'u1' });
    expect(applied).toMatchObject({ every: 6 * 3600_000, origin: 'default', status: 'active' });
    await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'u1', every: '1h' });
    const second = await sluice.startRun('fresh', { userId: 'u1' });
    await waitForRun(sluice, 'u1', second.runId);
    expect(await sluice.schedules.get({ pipelineId: 'fresh', userId: 'u1' })).toMatchObject({ every: 3600_000, origin: 'user' });
  });

  it('revoked credentials pause the schedule with the reason; resume installs it again', async () => {
    const { source } = testSource(() => {
      throw new SourceAuthError('token revoked by the user', 'test');
    });
    sluice = open('sched-revoked', definePipeline({ id: 'fresh', source }));
    sluice.startWorker({ concurrency: 2 });
    await sluice.schedules.upsert({ pipelineId: 'fresh', userId: 'gone', every: '6h' });
    const run = await sluice.startRun('fresh', { userId: 'gone' });
    expect((await waitForRun(sluice, 'gone', run.runId)).status).toBe('failed');
    const paused = await sluice.schedules.get({ pipelineId: 'fresh', userId: 'gone' });
    expect(paused).toMatchObject({ status: 'paused' });
    expect(paused?.reason).toMatch(/credentials revoked.*token revoked by the user/);
    expect(paused?.nextRunAt).toBeUndefined();
    const resumed = await sluice.schedules.resume({ pipelineId: 'fresh', userId: 'gone' });
    expect(resumed).toMatchObject({ status: 'active' });
    expect(resumed?.reason).toBeUndefined();
    expect(resumed?.nextRunAt).toBeDefined();
  });
});

describe('purgeUser', () => {
  it('leaves no key of the user behind and says what it removed; other users keep theirs', async () => {
    const { source } = testSource();
    const withState: Source<{ n: number }> = {
      ...source,
      async read(context, cursor) {
        // Connector state (an ETag, say) that names the user in its key.
        await context.state.set('etag', 'W/"1"');
        return source.read(context, cursor);
      },
    };
    sluice = open('purge', definePipeline({ id: 'fresh', source: withState }));
    const worker = sluice.startWorker({ concurrency: 2 });
    for (const userId of ['victim', 'bystander']) {
      const run = await sluice.startRun('fresh', { userId });
      await waitForRun(sluice, userId, run.runId);
      await sluice.schedules.upsert({ pipelineId: 'fresh', userId, every: '6h' });
    }
    await worker.close();
    // A queued re-sync carrying the user's data, waiting for a worker.
    await sluice.startRun('fresh', { userId: 'victim', trigger: 'schedule' });

    const report = await sluice.purgeUser('victim');
    expect(report).toMatchObject({ userId: 'victim', schedules: 1, runs: 2, documents: 1, jobs: 1, jobsInFlight: 0 });
    // (The schedule's own next job went with its scheduler, counted under schedules.)
    expect(report.progressEvents).toBeGreaterThan(0);
    expect(report.keys).toBeGreaterThan(0);

    const { Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const keysOf = async (pattern: string) => {
        const out: string[] = [];
        for await (const batch of redis.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>) out.push(...batch);
        return out;
      };
      const all = [...(await keysOf(`${prefix}:*`)), ...(await keysOf(`{${prefix}}:*`))];
      expect(all.filter((key) => key.includes('victim'))).toEqual([]);
      expect(all.some((key) => key.includes('bystander'))).toBe(true);
      // No job left whose data names the user.
      for (const key of all.filter((k) => k.startsWith(`{${prefix}}:default:`))) {
        if ((await redis.type(key)) !== 'hash') continue;
        expect((await redis.hget(key, 'data')) ?? '').not.toMatch(/victim/);
      }
      expect(await redis.smembers(`${prefix}:schedules:users`)).toEqual(['bystander']);
    } finally {
      redis.disconnect();
    }
    expect(await sluice.documents('fresh', 'bystander')).toHaveLength(1);
    expect(await sluice.schedules.list()).toHaveLength(1);
  });
});
