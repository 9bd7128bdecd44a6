import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { files } from '../connectors/files/index.js';
import { defineConfig, definePipeline, type CredentialRequest, type Pipeline, type SluiceConfig } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { RunStore } from '../src/runtime/run-store.js';
import { createFakeSource } from './support/fake-source.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let prefix = '';
let dir: string | undefined;
afterEach(async () => {
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function start(name: string, pipeline: Pipeline<unknown>, extra: Partial<SluiceConfig> = {}): Sluice {
  prefix = uniquePrefix(name);
  sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], progress: { intervalMs: 20 }, ...extra }));
  sluice.startWorker({ concurrency: 3 });
  return sluice;
}

async function run(s: Sluice, pipelineId: string, userId = 'u1', options: { connectionId?: string } = {}) {
  const { runId } = await s.startRun(pipelineId, { userId, ...options });
  return waitForRun(s, userId, runId);
}

const docIds = async (s: Sluice, pipelineId: string, userId = 'u1') => (await s.documents(pipelineId, userId)).map((d) => d.id).sort();

describe('deletions', () => {
  it('a record that now yields 1 document instead of 3 leaves only that one', async () => {
    const { world, connector } = createFakeSource();
    world.items.set('a', { text: 'one two three' });
    const pipeline = definePipeline({
      id: 'split',
      source: connector.listing({ pageSize: 10 }),
      steps: (records) => records.flatMap((r) => (r as { text: string }).text.split(' ')),
    });
    const s = start('shrink', pipeline as Pipeline<unknown>);
    expect((await run(s, 'split')).status).toBe('completed');
    expect(await docIds(s, 'split')).toEqual(['a', 'a#1', 'a#2']);
    world.items.set('a', { text: 'one' });
    const second = await run(s, 'split');
    expect(second.counts).toMatchObject({ processed: 1, written: 1 });
    expect(await docIds(s, 'split')).toEqual(['a']);
  });

  it('a full listing deletes what it no longer sees, once, and counts it', async () => {
    const { world, connector } = createFakeSource();
    for (const id of ['a', 'b', 'c', 'd', 'e']) world.items.set(id, { text: id });
    const s = start('sweep', definePipeline({ id: 'list', source: connector.listing({ pageSize: 2 }) }) as Pipeline<unknown>);
    const first = await run(s, 'list');
    expect(first.counts).toEqual({ discovered: 5, processed: 5, skipped: 0, failed: 0, written: 5 });
    world.items.delete('b');
    world.items.delete('e');
    const second = await run(s, 'list');
    expect(second.status).toBe('completed');
    expect(second.counts).toEqual({ discovered: 3, processed: 0, skipped: 3, failed: 0, written: 0, deleted: 2 });
    expect(await docIds(s, 'list')).toEqual(['a', 'c', 'd']);
    const third = await run(s, 'list');
    expect(third.counts.deleted).toBeUndefined();
  });

  it('a listing with an item failure deletes nothing; the next clean one does', async () => {
    const { world, connector } = createFakeSource();
    for (const id of ['a', 'b', 'c']) world.items.set(id, { text: id });
    const s = start('dirty', definePipeline({ id: 'list', source: connector.listing({ pageSize: 2 }) }) as Pipeline<unknown>);
    await run(s, 'list');
    world.items.delete('a');
    world.failing.add('c');
    const dirty = await run(s, 'list');
    expect(dirty.status).toBe('completed');
    expect(dirty.counts).toMatchObject({ failed: 1 });
    expect(dirty.counts.deleted).toBeUndefined();
    expect(await docIds(s, 'list')).toEqual(['a', 'b', 'c']);
    world.failing.clear();
    const clean = await run(s, 'list');
    expect(clean.counts.deleted).toBe(1);
    expect(await docIds(s, 'list')).toEqual(['b', 'c']);
  });

  it('a listing whose page fails for good fails the run and deletes nothing', async () => {
    const { world, connector } = createFakeSource();
    for (const id of ['a', 'b', 'c', 'd']) world.items.set(id, { text: id });
    const pipeline = definePipeline({ id: 'list', source: connector.listing({ pageSize: 2 }), retries: { attempts: 2, backoffMs: 10 } });
    const s = start('broken', pipeline as Pipeline<unknown>);
    await run(s, 'list');
    world.items.delete('a');
    world.brokenPages.add(1);
    const failed = await run(s, 'list');
    expect(failed.status).toBe('failed');
    expect(failed.counts.deleted).toBeUndefined();
    expect(await docIds(s, 'list')).toEqual(['a', 'b', 'c', 'd']);
  });

  it("a page's deleted ids remove their documents and count once", async () => {
    const { world, connector } = createFakeSource();
    for (const id of ['a', 'b', 'c']) world.items.set(id, { text: id });
    world.watermarks = ['1'];
    const s = start('feed', definePipeline({ id: 'feed', source: connector.history({ pageSize: 10 }) }) as Pipeline<unknown>);
    await run(s, 'feed');
    world.items.delete('b');
    world.deleted = ['b', 'never-stored'];
    world.watermarks = ['2'];
    const second = await run(s, 'feed');
    expect(second.counts).toMatchObject({ deleted: 1 });
    expect(await docIds(s, 'feed')).toEqual(['a', 'c']);
  });
});

describe('sweep bookkeeping', () => {
  it('a sweep that runs again after it was counted finds nothing to delete and counts nothing', async () => {
    prefix = uniquePrefix('sweep-twice');
    await withStore(prefix, async ({ redis, keys }) => {
      const runs = new RunStore(redis, keys);
      const ref = { runId: 'r1', pipelineId: 'list', userId: 'u1' };
      await redis.sadd(keys.members('list', 'u1', 's0'), 'a', 'b', 'c');
      await runs.start(ref, 1, {});
      await runs.markSeen(ref, 's0', ['a', 'c']);
      expect(await runs.unseenMembers(ref, 's0')).toEqual(['b']);
      // Another shard keeps the run going, so a repeated sweep would still find it running.
      await redis.sadd(keys.run('list', 'u1', 'r1').pending, 's0sweep', 'other');
      expect((await runs.completeSweep(ref, 's0', 's0sweep', 1)).run.counts.deleted).toBe(1);
      expect(await runs.unseenMembers(ref, 's0')).toEqual([]);
      expect((await redis.smembers(keys.members('list', 'u1', 's0'))).sort()).toEqual(['a', 'c']);
      const again = await runs.completeSweep(ref, 's0', 's0sweep', 5);
      expect(again.outcome).toBe('ignored');
      expect(again.run.counts.deleted).toBe(1);
    });
  });
});

describe('watermarks', () => {
  const sinceOfNextRun = async (world: ReturnType<typeof createFakeSource>['world'], s: Sluice, id: string) => {
    world.contexts.length = 0;
    world.watermarks = [];
    await run(s, id);
    return world.contexts[0]?.since;
  };

  it('numeric watermarks compare as numbers', async () => {
    const { world, connector } = createFakeSource();
    world.watermarks = ['9999999', '10000000', '9999998'];
    const s = start('wm-num', definePipeline({ id: 'feed', source: connector.history({ pageSize: 10 }) }) as Pipeline<unknown>);
    expect((await run(s, 'feed')).status).toBe('completed');
    expect(await sinceOfNextRun(world, s, 'feed')).toBe('10000000');
  });

  it('timestamps compare as instants, whatever their precision; the original string is kept', async () => {
    const { world, connector } = createFakeSource();
    world.watermarks = ['2024-05-01T10:00:00.500Z', '2024-05-01T10:00:00Z', '2024-05-01T09:59:59.999Z'];
    const s = start('wm-ts', definePipeline({ id: 'events', source: connector.events({ pageSize: 10 }) }) as Pipeline<unknown>);
    expect((await run(s, 'events')).status).toBe('completed');
    expect(await sinceOfNextRun(world, s, 'events')).toBe('2024-05-01T10:00:00.500Z');
  });

  it('an unparseable watermark fails the page with a clear error', async () => {
    const { world, connector } = createFakeSource();
    world.watermarks = ['12a'];
    const pipeline = definePipeline({ id: 'feed', source: connector.history({ pageSize: 10 }), retries: { attempts: 1, backoffMs: 10 } });
    const s = start('wm-bad', pipeline as Pipeline<unknown>);
    const done = await run(s, 'feed');
    expect(done.status).toBe('failed');
    expect(done.error).toBe('SourceResponseError: fake: watermark "12a" is not an integer');
  });
});

describe('credentials and read context', () => {
  it('refreshes refused credentials once, passing the connection id and an abort signal', async () => {
    const { world, connector } = createFakeSource();
    world.items.set('a', { text: 'a' });
    const requests: CredentialRequest[] = [];
    const credentials = (request: CredentialRequest) => (requests.push(request), { token: request.refresh ? 'fresh' : 'stale' });
    const s = start('refresh', definePipeline({ id: 'guarded', source: connector.guarded({ pageSize: 10 }) }) as Pipeline<unknown>, { credentials });
    const done = await run(s, 'guarded', 'u1', { connectionId: 'conn-7' });
    expect(done.status).toBe('completed');
    expect(requests).toEqual([
      { userId: 'u1', connector: 'fake', connectionId: 'conn-7' },
      { userId: 'u1', connector: 'fake', connectionId: 'conn-7', refresh: true },
    ]);
    expect(world.contexts.map((c) => c.connectionId)).toEqual(['conn-7', 'conn-7']);
    expect(world.contexts[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  it('fails the run when the refreshed credentials are refused too', async () => {
    const { world, connector } = createFakeSource();
    let calls = 0;
    const s = start('refused', definePipeline({ id: 'guarded', source: connector.guarded({ pageSize: 10 }) }) as Pipeline<unknown>, {
      credentials: () => (calls++, { token: 'revoked' }),
    });
    const done = await run(s, 'guarded');
    expect(done.status).toBe('failed');
    expect(done.error).toBe('SourceAuthError: fake: token refused');
    expect(calls).toBe(2);
    expect(world.contexts).toHaveLength(2);
  });
});

describe('files connector', () => {
  it('a file deleted between two runs loses its documents', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-del-'));
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await writeFile(join(dir, name), `text of ${name}`);
    const s = start('files-del', definePipeline({ id: 'docs', source: files.files({ root: dir }) }) as Pipeline<unknown>);
    expect((await run(s, 'docs')).counts).toMatchObject({ written: 3 });
    await unlink(join(dir, 'b.txt'));
    const second = await run(s, 'docs');
    expect(second.counts).toMatchObject({ discovered: 2, skipped: 2, deleted: 1 });
    const ids = await docIds(s, 'docs');
    expect(ids).toHaveLength(2);
    expect(ids.some((id) => id.includes('b.txt'))).toBe(false);
    await withStore(prefix, async ({ redis, keys }) => {
      expect(await redis.scard(keys.members('docs', 'u1', 's0'))).toBe(2);
    });
  });
});
