import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { processedAtLeast, waitForRun } from './support/wait.js';
import { cleanUpProcesses, openSluiceFor, startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/recover.config.ts', import.meta.url));

let sluice: Sluice | undefined;
let prefix = '';

const open = (env: Record<string, string>) => openSluiceFor(CONFIG, env);

/** Steps called (each record's step counts once per call) and documents in the sink. */
async function stepCallsAndDocuments(userId: string) {
  return withStore(prefix, async ({ redis, keys }) => ({
    calls: Number(await redis.get(`${prefix}:test:calls`)),
    documents: await redis.hlen(keys.sink('recover', userId).documents),
  }));
}

/** Resolves once the worker's output contains `text` (it prints as it goes). */
async function outputContains(worker: WorkerProcess, text: string): Promise<void> {
  while (!worker.output().includes(text)) await new Promise<void>((resolve) => worker.child.stdout!.once('data', () => resolve()));
}

afterEach(async () => {
  await cleanUpProcesses(sluice, prefix, deletePrefix);
  sluice = undefined;
  // Each test's settings (lock, step time) must not reach the next test's worker processes.
  for (const key of Object.keys(process.env)) if (key.startsWith('SLUICE_TEST_')) delete process.env[key];
});

describe('worker recovery', () => {
  it('a step longer than the lock keeps its lock through renewal: no record is stepped twice', async () => {
    prefix = uniquePrefix('longstep');
    // Each batch takes 2.5 s, the lock lasts 1 s and the stall check runs every 0.5 s.
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '20', SLUICE_TEST_STEP_MS: '2500', SLUICE_TEST_LOCK_MS: '1000', SLUICE_TEST_STALL_MS: '500' };
    sluice = await open(env);
    await Promise.all([startWorkerProcess(CONFIG, env), startWorkerProcess(CONFIG, env)]);
    const { runId } = await sluice.startRun('recover', { userId: 'lena' });
    const done = await waitForRun(sluice, 'lena', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ processed: 20, skipped: 0, failed: 0 });
    expect(await stepCallsAndDocuments('lena')).toEqual({ calls: 20, documents: 20 });
  });

  it('SIGTERM with a hung step: the worker exits after its drain deadline and the job completes on another worker', async () => {
    prefix = uniquePrefix('hung');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '10', SLUICE_TEST_DRAIN_MS: '1000' };
    sluice = await open(env);
    const hung = await startWorkerProcess(CONFIG, { ...env, SLUICE_TEST_HANG: '1' });
    const { runId } = await sluice.startRun('recover', { userId: 'hugo' });
    await outputContains(hung, 'hanging on');
    hung.child.kill('SIGTERM');
    // Without the drain deadline this never resolves: the step never returns.
    expect(await hung.exited).toBe(0);
    expect(hung.output()).toContain('1 unfinished job(s) handed back to the queue');

    // Handed back, not stalled: the batch is waiting again at once, so a new worker takes it.
    await startWorkerProcess(CONFIG, env);
    const done = await waitForRun(sluice, 'hugo', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ processed: 10, failed: 0 });
    expect((await stepCallsAndDocuments('hugo')).documents).toBe(10);
  });

  it('kill -9 of a worker with the default lock settings: the jobs it held run on the other worker', async () => {
    prefix = uniquePrefix('kill9');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '100' };
    sluice = await open(env);
    // The victim's steps hang: the run cannot complete until the jobs it holds move to the survivor.
    const victim = await startWorkerProcess(CONFIG, { ...env, SLUICE_TEST_HANG: '1' });
    const { runId } = await sluice.startRun('recover', { userId: 'kim' });
    await outputContains(victim, 'hanging on');
    await startWorkerProcess(CONFIG, env);
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    const done = await waitForRun(sluice, 'kim', runId);
    expect(done.status).toBe('completed');
    expect(done.counts.failed).toBe(0);
    expect(done.counts.processed + done.counts.skipped).toBe(100);
    expect((await stepCallsAndDocuments('kim')).documents).toBe(100);
    // A figure, not an assertion: from the kill to the run's completion event (its own time).
    const completed = (await sluice.events('kim')).find((e) => e.runId === runId && e.type === 'run.completed')!;
    console.log(`kill -9 recovery: the killed worker's jobs were done elsewhere ${Date.parse(completed.at) - killedAt} ms after the kill`);
  });
});
