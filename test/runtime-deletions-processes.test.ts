import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineConfig } from '../src/index.js';
import { createSluice, loadConfig, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { waitForRun } from './support/wait.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/files-e2e.config.ts', import.meta.url));

let sluice: Sluice | undefined;
let prefix = '';
let root = '';

afterEach(async () => {
  await stopAllWorkerProcesses();
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
  if (root) await rm(root, { recursive: true, force: true });
});

const name = (i: number) => `note-${String(i).padStart(3, '0')}.txt`;

describe('mark and sweep across worker processes', () => {
  it('two workers re-sync a directory and delete each removed file exactly once', async () => {
    prefix = uniquePrefix('sweep-procs');
    root = await mkdtemp(join(tmpdir(), 'sluice-sweep-'));
    for (let i = 0; i < 300; i++) await writeFile(join(root, name(i)), `note ${i}`);
    const env = { SLUICE_TEST_PREFIX: prefix, SLUICE_TEST_ROOT: root };
    Object.assign(process.env, env);
    sluice = createSluice(defineConfig((await loadConfig(CONFIG)).config));
    await Promise.all([startWorkerProcess(CONFIG, env), startWorkerProcess(CONFIG, env)]);

    const first = await sluice.startRun('files-e2e', { userId: 'ada' });
    expect((await waitForRun(sluice, 'ada', first.runId)).counts).toMatchObject({ discovered: 300, written: 300 });

    for (let i = 0; i < 300; i += 3) await unlink(join(root, name(i)));
    const second = await sluice.startRun('files-e2e', { userId: 'ada' });
    const done = await waitForRun(sluice, 'ada', second.runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toEqual({ discovered: 200, processed: 0, skipped: 200, failed: 0, written: 0, deleted: 100, total: 200 });
    const finals = (await sluice.events('ada')).filter((e) => e.runId === second.runId && e.type === 'run.completed');
    expect(finals).toHaveLength(1);
    const ids = (await sluice.documents('files-e2e', 'ada')).map((d) => d.id);
    expect(ids).toHaveLength(200);
    expect(ids.filter((id) => Number(/note-(\d+)/.exec(id)?.[1]) % 3 === 0)).toEqual([]);
    await withStore(prefix, async ({ redis, keys }) => {
      expect(await redis.hget(keys.sink('files-e2e', 'ada').stats, 'records')).toBe('200');
    });
  });
});
