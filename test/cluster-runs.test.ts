import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueEvents } from 'bullmq';
import { defineConfig, definePipeline, type Step } from '../src/index.js';
import { createSluice, loadConfig, type Sluice } from '../src/runtime/index.js';
import { createKeys } from '../src/store/keys.js';
import { checkRedis } from '../src/store/check-redis.js';
import { createRedis } from '../src/store/redis.js';
import { runCli } from './support/cli.js';
import { useRedisCluster } from './support/use-redis-cluster.js';
import { REDIS_URL, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/e2e.config.ts', import.meta.url));

const cluster = useRedisCluster();
let sluice: Sluice | undefined;
afterEach(async () => {
  await stopAllWorkerProcesses();
  await sluice?.close();
  sluice = undefined;
});

async function open(prefix: string, records: number): Promise<Sluice> {
  process.env.SLUICE_TEST_PREFIX = prefix;
  process.env.SLUICE_TEST_RECORDS = String(records);
  const { config } = await loadConfig(CONFIG);
  return createSluice(defineConfig({ ...config, redis: cluster().url }));
}

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

/** Users whose progress keys (`{user}`) lie on different masters. */
const usersOnDifferentNodes = (prefix: string, count: number) => cluster().spread(count, (i) => `u${i}`, (user) => createKeys(prefix).progress(user).events);

describe('Redis Cluster: runs', () => {
  it('two worker processes complete runs of users on different masters, each record once; status and run work from the CLI', async () => {
    const prefix = uniquePrefix('cluster-runs');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '200', REDIS_URL: cluster().url };
    sluice = await open(prefix, 200);
    const users = await usersOnDifferentNodes(prefix, 3);
    const workers = await Promise.all([startWorkerProcess(CONFIG, env), startWorkerProcess(CONFIG, env)]);
    // BullMQ's queue events (one stream in the queue's {prefix} slot) work over a cluster connection too.
    const events = new QueueEvents('default', { connection: createRedis(cluster().url), prefix: `{${prefix}}` });
    const completedJobs = new Set<string>();
    events.on('completed', ({ jobId }) => completedJobs.add(jobId));
    await events.waitUntilReady();

    const runs = await Promise.all(users.map((userId) => sluice!.startRun('e2e', { userId })));
    for (const [i, userId] of users.entries()) {
      const done = await waitForRun(sluice, userId, runs[i]!.runId);
      expect(done.status).toBe('completed');
      expect(done.counts).toMatchObject({ discovered: 200, processed: 200, failed: 0, written: 200 });
      expect(await sluice.documents('e2e', userId)).toHaveLength(200);
    }

    const status = await cli(['status', '--user', users[0]!, '--json', '--config', CONFIG], env);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ userId: users[0], runs: [{ runId: runs[0]!.runId, status: 'completed', counts: { written: 200 } }] });

    // A re-run from the CLI, followed to its end: every record is unchanged.
    const again = await cli(['run', 'e2e', '--user', users[1]!, '--follow', '--config', CONFIG], env);
    expect(again.stderr).not.toMatch(/MOVED|CROSSSLOT/);
    expect(again.code).toBe(0);
    const latest = (await sluice.status(users[1]!))[0]!;
    expect(latest).toMatchObject({ status: 'completed', counts: { processed: 0, skipped: 200, written: 0 } });

    for (const worker of workers) expect(worker.output()).not.toMatch(/MOVED|CROSSSLOT|All keys in the pipeline|error/i);
    // Each run: 4 pages of 50 and 20 batches of 10.
    for (const { runId } of runs) expect([...completedJobs].filter((id) => id.startsWith(`${runId}.`))).toHaveLength(24);
    await events.close();

    // The operator view walks every master: small pages, followed by cursor, list all three users' runs.
    const listed = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < 50; page++) {
      const result = await sluice.admin.runs({ users: 1, ...(cursor ? { cursor } : {}) });
      for (const run of result.runs) listed.add(run.userId);
      if (result.cursor === null) break;
      cursor = result.cursor;
    }
    expect([...listed].sort()).toEqual([...users].sort());
    expect((await sluice.admin.limiters()).limiters).toBeDefined();

    const purged = await sluice.purgeUser(users[2]!);
    expect(purged).toMatchObject({ runs: 1, documents: 200 });
    expect(await sluice.status(users[2]!)).toEqual([]);
  }, 120_000);

  it('checks a cluster before use, and refuses a cluster node given as a plain URL', async () => {
    await expect(checkRedis(cluster().url)).resolves.toBeUndefined();
    await expect(checkRedis(`redis://127.0.0.1:${cluster().ports[0]}`)).rejects.toThrow(
      `cannot use Redis at redis://127.0.0.1:${cluster().ports[0]}: it is a Redis Cluster node; give the cluster as redis+cluster://host:port,host:port`,
    );
    const status = await cli(['status', '--user', 'nobody', '--config', CONFIG], { SLUICE_TEST_PREFIX: 'x', REDIS_URL: `redis://127.0.0.1:${cluster().ports[1]}` });
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('it is a Redis Cluster node; give the cluster as redis+cluster://');

    const malformed = await cli(['status', '--user', 'nobody', '--config', CONFIG, '--redis', 'redis+cluster://127.0.0.1:7000,127.0.0.1'], { SLUICE_TEST_PREFIX: 'x' });
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr.trim()).toBe('sluice: --redis is not a Redis URL: node "127.0.0.1" is not host:port');
    // No node answers: one line, at once, not a client retrying forever.
    // A cluster URL naming a Redis that is no cluster.
    const single = new URL(REDIS_URL).host;
    await expect(checkRedis(`redis+cluster://${single}`)).rejects.toThrow(`cannot use Redis at redis+cluster://${single}: ${single}: ERR This instance has cluster support disabled`);
    await expect(checkRedis('redis+cluster://127.0.0.1:1', 1000)).rejects.toThrow("cannot use Redis at redis+cluster://127.0.0.1:1: 127.0.0.1:1: connection refused or closed");
  }, 60_000);

  it('cancelling a run aborts its step in a worker subscribed on another node', async () => {
    const prefix = uniquePrefix('cluster-cancel');
    // Each hung step hands over the promise of its abort reason (wrapped: a promise would be adopted).
    let onStep!: (step: { aborted: Promise<unknown> }) => void;
    const nextStep = () => new Promise<{ aborted: Promise<unknown> }>((resolve) => (onStep = resolve));
    const hang: Step<unknown, unknown> = {
      name: 'hang',
      run: async (items, runtime) => {
        const signal = runtime.signal!;
        const aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
        onStep({ aborted });
        await aborted;
        return items.map((item) => ({ ok: true as const, items: [item] }));
      },
    };
    const pipeline = definePipeline({ id: 'slow', source: synthetic.records({ count: 10, pageSize: 10 }), sharding: { batchSize: 10 }, steps: (records) => records.pipe(hang) });
    sluice = createSluice(defineConfig({ prefix, redis: cluster().url, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    const worker = sluice.startWorker({ concurrency: 2 });
    await worker.ready();
    // Users whose runs live on each master: the cancel is published from whichever node holds the run.
    const users = await cluster().spread(3, (i) => `c${i}`, (user) => createKeys(prefix).run('slow', user, 'x').state);
    for (const userId of users) {
      const step = nextStep();
      const { runId } = await sluice.startRun('slow', { userId });
      const { aborted } = await step;
      expect(await sluice.cancelRun('slow', userId)).toMatchObject({ outcome: 'cancelled', run: { runId, status: 'cancelled' } });
      expect(await aborted).toMatchObject({ name: 'AbortError' });
    }
  }, 60_000);
});
