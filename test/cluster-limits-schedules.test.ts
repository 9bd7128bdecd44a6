import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig, definePipeline } from '../src/index.js';
import { createLimiter } from '../src/limiter/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { createKeys } from '../src/store/keys.js';
import { createRedis, scanKeys } from '../src/store/redis.js';
import { busiestSecond } from './support/busiest-second.js';
import { useRedisCluster } from './support/use-redis-cluster.js';
import { uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

const run = promisify(execFile);
const cluster = useRedisCluster();
let sluice: Sluice | undefined;
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
});

describe('Redis Cluster: limiter', () => {
  it('two processes sharing one key never pass its budget in any second', async () => {
    const prefix = uniquePrefix('cluster-limiter');
    const rpm = 600; // 10 per second
    const tpm = 60_000;
    const tokens = 10;
    const child = () =>
      run(process.execPath, ['--import', 'tsx', 'test/support/limiter-child.ts', prefix, 'llm:shared', String(rpm), String(tpm), String(tokens), '20', '3000'], {
        maxBuffer: 10e6,
        env: { ...process.env, REDIS_URL: cluster().url },
      }).then(({ stdout }) => JSON.parse(stdout) as number[]);
    const grants = (await Promise.all([child(), child()])).flat().sort((a, b) => a - b);
    expect(grants.length).toBeGreaterThan(15);
    expect(busiestSecond(grants)).toBeLessThanOrEqual(rpm / 60);
  }, 30_000);

  it('keys on different masters keep budgets of their own', async () => {
    const prefix = uniquePrefix('cluster-limiter-keys');
    const keys = createKeys(prefix);
    const names = await cluster().spread(3, (i) => `llm:m${i}`, (name) => keys.limiter(name));
    const redis = createRedis(cluster().url);
    try {
      const limiter = createLimiter(redis, keys, Object.fromEntries(names.map((name) => [name, { rpm: 6 }])), { pace: 1, burstSeconds: 100 });
      for (const name of names) {
        for (let i = 0; i < 10; i++) expect(await limiter.tryAcquire(name, 0)).toMatchObject({ granted: true });
        expect(await limiter.tryAcquire(name, 0)).toMatchObject({ granted: false, reason: 'rate' });
      }
      for (const name of names) expect(Number(await redis.hget(keys.limiter(name), 'r'))).toBeLessThan(1);
    } finally {
      redis.disconnect();
    }
  });
});

describe('Redis Cluster: schedules', () => {
  it('schedules of users on different masters fire re-sync runs, list together, pause, resume and go with purge', async () => {
    const prefix = uniquePrefix('cluster-sched');
    const keys = createKeys(prefix);
    const users = await cluster().spread(3, (i) => `s${i}`, (user) => keys.schedules(user));
    sluice = createSluice(
      defineConfig({
        prefix,
        redis: cluster().url,
        pipelines: [definePipeline({ id: 'fresh', source: synthetic.records({ count: 5, pageSize: 5 }) })],
        progress: { intervalMs: 0 },
      }),
    );
    const s = sluice;
    s.startWorker({ concurrency: 4 });
    for (const userId of users) await s.schedules.upsert({ pipelineId: 'fresh', userId, every: '1s' });
    for (const userId of users) {
      const fired = await nextCompleted(s, userId);
      // A run a schedule started is recognisable by its id.
      expect(fired.runId.startsWith('s')).toBe(true);
    }
    expect((await s.schedules.list()).map((info) => [info.userId, info.status])).toEqual(users.map((userId) => [userId, 'active']).sort());

    const paused = await s.schedules.pause({ pipelineId: 'fresh', userId: users[0]!, reason: 'on hold' });
    expect(paused).toMatchObject({ status: 'paused', reason: 'on hold' });
    expect(await s.schedules.resume({ pipelineId: 'fresh', userId: users[0]! })).toMatchObject({ status: 'active' });
    expect(await s.schedules.remove({ pipelineId: 'fresh', userId: users[1]! })).toBe(true);

    const report = await s.purgeUser(users[2]!);
    expect(report.schedules).toBe(1);
    expect(report.runs).toBeGreaterThan(0);
    expect((await s.schedules.list()).map((info) => info.userId)).toEqual([users[0]]);
    const redis = createRedis(cluster().url);
    try {
      const left: string[] = [];
      for await (const batch of scanKeys(redis, `*${users[2]}*`)) left.push(...batch);
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 60_000);

  it('a manual run on a cluster completes while a schedule exists', async () => {
    const prefix = uniquePrefix('cluster-sched-run');
    sluice = createSluice(
      defineConfig({ prefix, redis: cluster().url, pipelines: [definePipeline({ id: 'fresh', source: synthetic.records({ count: 5, pageSize: 5 }), schedule: { every: '6h' } })] }),
    );
    sluice.startWorker({ concurrency: 2 });
    const { runId } = await sluice.startRun('fresh', { userId: 'ida' });
    expect((await waitForRun(sluice, 'ida', runId)).status).toBe('completed');
    // The pipeline's default schedule is applied when the first run completes.
    expect(await sluice.schedules.get({ pipelineId: 'fresh', userId: 'ida' })).toMatchObject({ origin: 'default', status: 'active' });
  });
});

/** The user's next run.completed event (followed through the progress stream). */
async function nextCompleted(s: Sluice, userId: string) {
  let after: string | undefined;
  for (;;) {
    for (const event of await s.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if (event.type === 'run.completed') return event;
    }
  }
}
