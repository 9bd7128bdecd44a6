import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribeProgress } from '../src/client/subscribe.js';
import type { ProgressError } from '../src/client/errors.js';
import type { ProgressSnapshotBody } from '../src/client/types.js';
import { definePipeline, type RunSnapshot } from '../src/index.js';
import { ProgressPublisher } from '../src/progress/publisher.js';
import { createSluice, type Sluice, type StateLoss } from '../src/runtime/index.js';
import { createProgressServer, createProgressToken } from '../src/server/index.js';
import type { StateEpoch } from '../src/store/epoch.js';
import { createKeys } from '../src/store/keys.js';
import { SECRET } from './support/progress-server.js';
import { uniquePrefix } from './support/redis.js';
import { startRedisServer, type RedisServerProcess } from './support/redis-server.js';
import { openSse } from './support/sse.js';
import { synthetic } from './support/synthetic.js';
import { until } from './support/wait.js';
import { followRemote } from '../src/cli/follow.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONFIG = fileURLToPath(new URL('./fixtures/recover.config.ts', import.meta.url));

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ownRedis(): Promise<RedisServerProcess> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  return redis;
}

function openSluice(url: string, prefix: string): Sluice {
  const pipeline = definePipeline({ id: 'notes', source: synthetic.records({ count: 10, pageSize: 5 }) });
  const sluice = createSluice({ prefix, redis: url, pipelines: [pipeline], progress: { intervalMs: 0 } });
  cleanups.push(() => sluice.close());
  return sluice;
}

describe('Redis losing Sluice state', () => {
  it('restarted empty: open streams get state_lost, a late event brings back no ghost run, clients start over from an empty snapshot', async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix('lost');
    const sluice = openSluice(redis.url, prefix);
    const server = createProgressServer({ sluice, secret: SECRET });
    const listening = await server.listen(0);
    cleanups.push(() => listening.close());
    const auth = { authorization: `Bearer ${createProgressToken({ userId: 'ivy', secret: SECRET })}` };

    // No worker: the run stays running, as one would when Redis goes.
    const { runId } = await sluice.startRun('notes', { userId: 'ivy' });
    const marker = (await sluice.stateMarker())!;
    const [before] = await sluice.status('ivy');
    expect(before).toMatchObject({ runId, status: 'running' });

    const sse = await openSse(`${listening.url}/v1/users/ivy/progress/stream`, auth);
    cleanups.push(() => sse.close());
    expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot' });
    // The client the widget uses, on the same server.
    const snapshots: ProgressSnapshotBody[] = [];
    const reasons: ProgressError[] = [];
    let snapshotCount = 0;
    let afterLoss!: (body: ProgressSnapshotBody) => void;
    const freshSnapshot = new Promise<ProgressSnapshotBody>((resolve) => (afterLoss = resolve));
    const firstSnapshot = new Promise<void>((resolve) => {
      const client = subscribeProgress({
        url: listening.url,
        userId: 'ivy',
        token: auth.authorization.slice('Bearer '.length),
        backoff: { initialMs: 10, maxMs: 50 },
        onEvent: () => undefined,
        onSnapshot: (body) => {
          snapshots.push(body);
          if (++snapshotCount === 1) resolve();
          else afterLoss(body);
        },
        onStatus: (_status, reason) => void (reason && reasons.push(reason)),
      });
      cleanups.push(() => client.close());
    });
    await firstSnapshot;
    // And `sluice run --url ... --follow`'s way of following, through the same server.
    const remote = followRemote({ url: listening.url, token: auth.authorization.slice('Bearer '.length) }, 'ivy', [runId]);
    const remoteEnd = remote.then(
      () => 'finished',
      (error: Error) => error.message,
    );
    await until(async () => server.stats().streams, (n) => n === 3, 'three open streams');
    const lost = new Promise<StateLoss>((resolve) => sluice.onStateLost(resolve));

    await redis.restartEmpty();

    // Detected when the server's connection comes back (its `ready` event), then said on every stream.
    expect((await lost).message).toMatch(/^Redis lost Sluice's state: its marker \S+:epoch is gone/);
    const last = (await sse.ended()).at(-1);
    expect(last?.event).toBe('state_lost');
    expect(JSON.parse(last!.data)).toMatchObject({ code: 'state_lost', message: expect.stringMatching(/^Redis lost Sluice's state/) });
    const fresh = await freshSnapshot;
    expect(reasons.map((r) => r.code)).toContain('state_lost');
    expect(fresh.runs).toEqual([]);
    expect(await remoteEnd).toMatch(/^progress server http:\S+: Redis lost Sluice's state: /);

    // A worker that has not noticed yet publishes a late event for the old run: refused, no ghost.
    const stale = new Redis(redis.url);
    cleanups.push(() => stale.disconnect());
    const oldMarker = { current: async () => marker, check: async () => undefined } as unknown as StateEpoch;
    const publisher = new ProgressPublisher(stale, createKeys(prefix), { maxEvents: 100, intervalMs: 0, epoch: oldMarker });
    const ghost: RunSnapshot = { ...before!, seq: before!.seq + 5, counts: { ...before!.counts, processed: 3 } };
    expect(await publisher.publishRun('run.progress', ghost)).toBeNull();
    expect(await publisher.publishItemFailed(ghost, { id: 'x', reason: 'late' })).toBeNull();
    expect(await sluice.status('ivy')).toEqual([]);
    expect(await sluice.events('ivy')).toEqual([]);
  });

  it('a worker process says so in one line and goes on; an event of a run started after the loss is not refused', async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix('lost-worker');
    const worker = await startWorkerProcess(CONFIG, { SLUICE_TEST_PREFIX: prefix, REDIS_URL: redis.url });
    cleanups.push(() => stopAllWorkerProcesses());
    const sluice = openSluice(redis.url, prefix);
    // The worker made the marker when it started.
    const marker = (await sluice.stateMarker())!;
    expect(marker).not.toBeNull();

    await redis.restartEmpty();
    await until(async () => worker.output(), (out) => out.includes("Redis lost Sluice's state"), 'the worker says the state is lost');
    // One structured line (pino JSON), whatever the number of connections that saw the restart.
    expect(worker.output().match(/"code":"state_lost","msg":"Redis lost Sluice's state: its marker \S+:epoch (is gone|changed) [^"]*start them again"/g)).toHaveLength(1);

    // A run started in the new Redis, published by a process still holding the old marker: it checks
    // the marker, finds the new one and the run's state, and publishes under the new one.
    const { runId } = await sluice.startRun('notes', { userId: 'amy' });
    const run = (await sluice.status('amy')).find((r) => r.runId === runId)!;
    let known = marker;
    const stale = { current: async () => known, check: async () => void (known = (await sluice.stateMarker())!) } as unknown as StateEpoch;
    const connection = new Redis(redis.url);
    cleanups.push(() => connection.disconnect());
    const publisher = new ProgressPublisher(connection, createKeys(prefix), { maxEvents: 100, intervalMs: 0, epoch: stale });
    expect(await publisher.publishRun('run.progress', { ...run, seq: run.seq + 1 })).not.toBeNull();
    expect(known).not.toBe(marker);
  });

  it('`sluice run --follow` ends with one clear line when Redis restarts empty', async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix('lost-cli');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'run', 'recover', '--user', 'ola', '--follow', '--config', CONFIG], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_TEST_PREFIX: prefix, REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The board's first line comes once the CLI follows the run (and watches the state marker).
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/running/.test(stdout.split('\n').slice(1).join('\n'))) resolve();
      }),
    );
    await redis.restartEmpty();
    const [code] = await exited;
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^sluice: Redis lost Sluice's state: its marker \S+:epoch is gone .*start them again$/);
  });

  it('`sluice status` on a Redis that holds no Sluice state says so, after "no runs"', async () => {
    const redis = await ownRedis();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'status', '--user', 'nia', '--config', CONFIG], {
      cwd: ROOT,
      env: { ...process.env, SLUICE_TEST_PREFIX: uniquePrefix('lost-status'), REDIS_URL: redis.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      'no runs for nia',
      'this Redis holds no Sluice state: nothing ran against it yet, or it lost its data (restarted empty, flushed)',
    ]);
  });
});
