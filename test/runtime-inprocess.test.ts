import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { files } from '../connectors/files/index.js';
import { defineConfig, definePipeline, type RunEvent } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { synthetic } from './support/synthetic.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  await deletePrefix(prefix);
});

describe('runtime in one process', () => {
  it('runs a pipeline to completion with every record in the sink, and a re-run writes nothing', async () => {
    prefix = uniquePrefix('inproc');
    const pipeline = definePipeline({
      id: 'numbers',
      source: synthetic.records({ count: 250, pageSize: 40 }),
      sharding: { batchSize: 15 },
      steps: (records) => records.map((r) => ({ text: r.text.toUpperCase(), n: r.n })),
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    sluice.startWorker({ concurrency: 4 });
    const first = await sluice.startRun('numbers', { userId: 'u1' });
    const done = await waitForRun(sluice, 'u1', first.runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ discovered: 250, processed: 250, skipped: 0, failed: 0, written: 250, total: 250 });
    const docs = await sluice.documents<{ text: string }>('numbers', 'u1');
    expect(docs).toHaveLength(250);
    expect(docs[0]!.value.text).toBe('RECORD 0 V1');

    const second = await sluice.startRun('numbers', { userId: 'u1' });
    expect(second.runId).not.toBe(first.runId);
    const again = await waitForRun(sluice, 'u1', second.runId);
    expect(again.counts).toMatchObject({ discovered: 250, processed: 0, skipped: 250, written: 0 });
    const events = (await sluice.events('u1')).filter((e) => e.runId === second.runId);
    expect(events.at(0)?.type).toBe('run.started');
    expect(events.at(-1)?.type).toBe('run.completed');
  });

  it('fails one record without failing the run', async () => {
    prefix = uniquePrefix('inproc-fail');
    const pipeline = definePipeline({
      id: 'picky',
      source: synthetic.records({ count: 30, pageSize: 10 }),
      steps: (records) =>
        records.map((r) => {
          if (r.n === 7) throw new Error('seven is not welcome');
          return r;
        }),
    });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    sluice.startWorker({ concurrency: 2 });
    const { runId } = await sluice.startRun('picky', { userId: 'u2' });
    const done = await waitForRun(sluice, 'u2', runId);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ processed: 29, failed: 1 });
    const failures = (await sluice.events('u2')).filter((e): e is Extract<RunEvent, { type: 'item.failed' }> & { id: string } => e.type === 'item.failed');
    expect(failures.map((f) => f.item)).toEqual([{ id: 'rec-000007', reason: 'map: seven is not welcome' }]);
  });

  it('fails the run at once, after one read, when the files root does not exist', async () => {
    prefix = uniquePrefix('inproc-fatal');
    const missing = join(tmpdir(), `sluice-missing-${prefix}`);
    const source = files.files({ root: missing });
    let reads = 0;
    const counted: typeof source = { ...source, read: (context, cursor) => (reads++, source.read(context, cursor)) };
    // Retries that would run for minutes: the run can only fail quickly if none is made.
    const pipeline = definePipeline({ id: 'no-root', source: counted, retries: { attempts: 5, backoffMs: 3_600_000 } });
    sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 } }));
    sluice.startWorker({ concurrency: 1 });
    const { runId } = await sluice.startRun('no-root', { userId: 'u3' });
    const done = await waitForRun(sluice, 'u3', runId);
    expect(done.status).toBe('failed');
    expect(done.error).toBe(`SourceConfigError: files: root "${missing}" does not exist`);
    expect(reads).toBe(1);
  });
});
