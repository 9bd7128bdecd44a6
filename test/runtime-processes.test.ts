import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '../src/index.js';
import type { Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { processedAtLeast, waitForRun } from './support/wait.js';
import { cleanUpProcesses, openSluiceFor, startWorkerProcess } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/e2e.config.ts', import.meta.url));

let sluice: Sluice | undefined;
let prefix = '';

const open = (env: Record<string, string>) => openSluiceFor(CONFIG, env);

async function sinkStats(s: Sluice, userId: string) {
  return withStore(s.config.prefix!, async ({ redis, keys }) => {
    const stats = await redis.hgetall(keys.sink('e2e', userId).stats);
    return { records: Number(stats.records ?? 0), documents: await redis.hlen(keys.sink('e2e', userId).documents) };
  });
}

afterEach(async () => {
  await cleanUpProcesses(sluice, prefix, deletePrefix);
  sluice = undefined;
});

describe('runs across worker processes', () => {
  it('two workers complete a run exactly once with every record in the sink; a re-run writes nothing', async () => {
    prefix = uniquePrefix('procs');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '400' };
    sluice = await open(env);
    await Promise.all([startWorkerProcess(CONFIG, env), startWorkerProcess(CONFIG, env)]);

    const first = await sluice.startRun('e2e', { userId: 'ada' });
    const done = await waitForRun(sluice, 'ada', first.runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: 400, processed: 400, failed: 0, written: 400, total: 400 });
    expect(await sinkStats(sluice, 'ada')).toEqual({ records: 400, documents: 400 });
    const finals = (await sluice.events('ada')).filter((e) => e.runId === first.runId && e.type === 'run.completed');
    expect(finals).toHaveLength(1);

    const second = await sluice.startRun('e2e', { userId: 'ada' });
    const again = await waitForRun(sluice, 'ada', second.runId);
    expect(again.counts).toMatchObject({ discovered: 400, processed: 0, skipped: 400, written: 0 });
    expect(await sinkStats(sluice, 'ada')).toEqual({ records: 400, documents: 400 });
  });

  it('a worker killed with SIGKILL mid-run loses nothing: another worker finishes and each document is written once', async () => {
    prefix = uniquePrefix('crash');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '300', SLUICE_TEST_STEP_MS: '5' };
    sluice = await open(env);
    const victim = await startWorkerProcess(CONFIG, env);
    const { runId } = await sluice.startRun('e2e', { userId: 'bo' });
    await processedAtLeast(sluice, 'bo', runId, 60);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    await startWorkerProcess(CONFIG, env);
    const done = await waitForRun(sluice, 'bo', runId);
    expect(done.status).toBe('completed');
    expect(done.counts.failed).toBe(0);
    // A batch that wrote and died before it was counted is counted as skipped on its retry.
    expect(done.counts.processed + done.counts.skipped).toBe(300);
    expect(await sinkStats(sluice, 'bo')).toEqual({ records: 300, documents: 300 });
  });

  it('SIGTERM drains a worker cleanly and the run completes on another worker without duplicates', async () => {
    prefix = uniquePrefix('drain');
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_RECORDS: '300', SLUICE_TEST_STEP_MS: '5' };
    sluice = await open(env);
    const draining = await startWorkerProcess(CONFIG, env);
    const { runId } = await sluice.startRun('e2e', { userId: 'cy' });
    await processedAtLeast(sluice, 'cy', runId, 60);
    draining.child.kill('SIGTERM');
    expect(await draining.exited).toBe(0);
    expect(draining.output()).toContain('sluice worker stopped');

    const before = (await sluice.status('cy')).find((r) => r.runId === runId)!;
    expect(before.status).toBe('running');
    await startWorkerProcess(CONFIG, env);
    const done = await waitForRun(sluice, 'cy', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ processed: 300, skipped: 0, failed: 0, written: 300 });
    expect(await sinkStats(sluice, 'cy')).toEqual({ records: 300, documents: 300 });
    const events: RunEvent[] = await sluice.events('cy');
    expect(events.filter((e) => e.type === 'run.completed')).toHaveLength(1);
  });
});
