import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { defineConfig, definePipeline, type Step } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startTestServer, type TestServer } from './support/progress-server.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';
import { CLI_BIN, REPO_ROOT, runCli } from './support/cli.js';

let sluice: Sluice | undefined;
let server: TestServer | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  await server?.stop();
  server = undefined;
  if (prefix) await deletePrefix(prefix);
  prefix = '';
});

/** Resolves when `signal` aborts, with its reason. */
const aborted = (signal: AbortSignal) => new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));

describe('cancelling a run', () => {
  it('ends it cancelled with its counts, aborts the blocked read and step, frees the slots, and nothing runs after', async () => {
    prefix = uniquePrefix('cancel');
    const base = synthetic.records({ count: 20, pageSize: 10 });
    const reads: Record<string, number> = {};
    const blocked: Promise<unknown>[] = [];
    let readBlocked!: () => void;
    let stepBlocked!: () => void;
    const readHangs = new Promise<void>((resolve) => (readBlocked = resolve));
    const stepHangs = new Promise<void>((resolve) => (stepBlocked = resolve));
    // u1's second page never answers until aborted: a hung upstream call.
    const source: typeof base = {
      ...base,
      async read(context, cursor) {
        reads[context.userId] = (reads[context.userId] ?? 0) + 1;
        if (context.userId === 'u1' && cursor !== undefined) {
          if (!context.signal) throw new Error('no signal');
          blocked.push(aborted(context.signal));
          readBlocked();
          await aborted(context.signal);
          throw context.signal.reason;
        }
        return base.read(context, cursor);
      },
    };
    // u1's batches hang in their step (as an LLM call would) until aborted.
    const hang: Step<unknown, unknown> = {
      name: 'hang',
      run: async (items, runtime) => {
        if (runtime.userId === 'u1') {
          if (!runtime.signal) throw new Error('no signal');
          blocked.push(aborted(runtime.signal));
          stepBlocked();
          await aborted(runtime.signal);
        }
        return items.map((item) => ({ ok: true as const, items: [item] }));
      },
    };
    const pipeline = definePipeline({ id: 'slow', source, sharding: { batchSize: 10 }, steps: (records) => records.pipe(hang) });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    const worker = sluice.startWorker({ concurrency: 2 });
    await worker.ready();
    const { runId } = await sluice.startRun('slow', { userId: 'u1' });
    await Promise.all([readHangs, stepHangs]);

    const result = await sluice.cancelRun('slow', 'u1');
    expect(result.outcome).toBe('cancelled');
    if (result.outcome !== 'cancelled') return;
    expect(result.run).toMatchObject({ runId, status: 'cancelled', counts: { discovered: 10, processed: 0, written: 0 } });
    expect(result.run.finishedAt).toEqual(expect.any(String));
    const reasons = await Promise.all(blocked);
    expect(reasons.map((r) => (r as Error).name)).toEqual(['AbortError', 'AbortError']);

    // Both slots were held by u1's shards: another run completing proves they are free.
    const other = await sluice.startRun('slow', { userId: 'u2' });
    expect((await waitForRun(sluice, 'u2', other.runId)).status).toBe('completed');

    const [after] = (await sluice.status('u1')).filter((r) => r.runId === runId);
    expect(after).toEqual(result.run);
    expect(reads.u1).toBe(2);
    expect(await sluice.documents('slow', 'u1')).toEqual([]);
    const events = (await sluice.events('u1')).filter((e) => e.runId === runId);
    expect(events.at(-1)).toMatchObject({ type: 'run.cancelled', run: { status: 'cancelled' } });

    // Cancelling again changes nothing, and says so; the user may start the pipeline afresh.
    expect(await sluice.cancelRun('slow', 'u1', runId)).toMatchObject({ outcome: 'finished', run: { status: 'cancelled' } });
    expect(await sluice.cancelRun('slow', 'u1')).toEqual({ outcome: 'not-found' });
    const again = await sluice.startRun('slow', { userId: 'u1' });
    expect(again.created).toBe(true);
    // Its second page hangs like the first run's: cancelled, so closing the worker does not wait on it.
    expect(await sluice.cancelRun('slow', 'u1', again.runId)).toMatchObject({ outcome: 'cancelled' });
  });
});

describe('POST /v1/users/:userId/runs/:runId/cancel', () => {
  it('takes the run\'s shards still waiting in the queue out of it, so nothing is left to come due', async () => {
    prefix = uniquePrefix('cancel-queued');
    const pipeline = definePipeline({ id: 'queued', source: synthetic.records({ count: 20, pageSize: 10 }), steps: (records) => records });
    // No worker: the run's first page waits in the queue.
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline] }));
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('default', { connection, prefix: `{${prefix}}` });
    try {
      const { runId } = await sluice.startRun('queued', { userId: 'u1' });
      const queued = async () => (await queue.getJobs(['waiting', 'delayed', 'prioritized'])).filter((job) => job.id?.startsWith(`${runId}.`)).length;
      expect(await queued()).toBe(1);
      expect((await sluice.cancelRun('queued', 'u1', runId)).outcome).toBe('cancelled');
      expect(await queued()).toBe(0);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it("cancels the token's own run (200), then answers 409; another user's token gets 403, its own path 404", async () => {
    server = await startTestServer('cancel');
    const { runId } = await server.sluice.startRun('notes', { userId: 'ada' });
    const post = (path: string, user: string) => fetch(`${server!.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${server!.token(user)}` } });

    const foreign = await post(`/v1/users/ada/runs/${runId}/cancel`, 'bob');
    expect(foreign.status).toBe(403);
    const elsewhere = await post(`/v1/users/bob/runs/${runId}/cancel`, 'bob');
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ error: { code: 'run_not_found' } });

    const ok = await post(`/v1/users/ada/runs/${runId}/cancel`, 'ada');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ run: { runId, status: 'cancelled' } });

    const again = await post(`/v1/users/ada/runs/${runId}/cancel`, 'ada');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'run_finished', run: { status: 'cancelled' } } });
  });
});


const cli = (args: string[]) => runCli(args, { REDIS_URL, SLUICE_TEST_PREFIX: prefix });

describe('sluice cancel', () => {
  it('a run followed with `run --follow` that is cancelled ends the CLI with exit code 1', async () => {
    prefix = uniquePrefix('cancel-follow');
    const pipeline = definePipeline({ id: 'demo-files', source: synthetic.records({ count: 5, pageSize: 5 }) });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline] }));
    // No worker: the run stays running until cancelled.
    const { runId } = await sluice.startRun('demo-files', { userId: 'u3' });
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_BIN, 'run', 'demo-files', '--user', 'u3', '--follow', '--config', 'test/fixtures/config/cli.config.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL, SLUICE_TEST_PREFIX: prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'close');
    let stdout = '';
    // Cancel once the CLI says it follows the running run.
    await new Promise<void>((resolve) =>
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.includes(`already running: run ${runId}`)) resolve();
      }),
    );
    expect((await sluice.cancelRun('demo-files', 'u3', runId)).outcome).toBe('cancelled');
    const [code] = await exited;
    expect(code).toBe(1);
    expect(stdout).toMatch(/u3\s+demo-files.*cancelled/);
  });

  it("cancels the user's running run of the pipeline, then says there is nothing to cancel", async () => {
    prefix = uniquePrefix('cancel-cli');
    // The pipeline id of test/fixtures/config/cli.config.ts; no worker: the run stays running.
    const pipeline = definePipeline({ id: 'demo-files', source: synthetic.records({ count: 5, pageSize: 5 }) });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline] }));
    const { runId } = await sluice.startRun('demo-files', { userId: 'u1' });
    const config = ['--config', 'test/fixtures/config/cli.config.ts'];

    const first = await cli(['cancel', 'demo-files', '--user', 'u1', ...config]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain(`cancelled ${runId}`);
    expect(first.stdout).toMatch(/u1\s+demo-files.*cancelled/);
    expect((await sluice.status('u1'))[0]).toMatchObject({ runId, status: 'cancelled' });

    const none = await cli(['cancel', 'demo-files', '--user', 'u1', ...config]);
    expect(none).toMatchObject({ code: 2, stdout: 'no run going of demo-files for u1: nothing to cancel\n' });
    const finished = await cli(['cancel', 'demo-files', '--user', 'u1', '--run', runId, ...config]);
    expect(finished).toMatchObject({ code: 2, stdout: `run ${runId} already ended cancelled: nothing to cancel\n` });
  });
});
