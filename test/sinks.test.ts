import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonlSink, redisSink } from '../src/index.js';
import { readDocuments } from '../src/sinks/read-documents.js';
import { createSinkStore } from '../src/sinks/sink-store.js';
import { createKeys } from '../src/store/keys.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

const prefix = uniquePrefix('sinks');
const redis = new Redis(REDIS_URL);
const keys = createKeys(prefix);
const store = createSinkStore(redis, keys);
const dir = join(tmpdir(), prefix);
afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
  await rm(dir, { recursive: true, force: true });
});

const entry = (sourceId: string, hash: string, docs: number) => ({
  sourceId,
  hash,
  documents: Array.from({ length: docs }, (_, i) => ({ id: `${sourceId}#${i}`, value: { n: i } })),
});

describe('sinks through the scope the runtime opens', () => {
  it('the Redis sink writes changed records once and keeps their hashes and counts', async () => {
    const writer = redisSink().open(store.scope('p', 'u1'));
    expect(await writer.changed([{ sourceId: 'a', hash: 'h1' }])).toEqual(new Set(['a']));
    expect(await writer.write([entry('a', 'h1', 2), entry('b', 'h1', 1)])).toEqual({ written: 2, unchanged: 0, deleted: 0 });
    expect(await writer.write([entry('a', 'h1', 2), entry('b', 'h2', 1)])).toEqual({ written: 1, unchanged: 1, deleted: 0 });
    expect(await writer.changed([{ sourceId: 'a', hash: 'h1' }, { sourceId: 'b', hash: 'h3' }])).toEqual(new Set(['b']));
    expect((await readDocuments(redis, keys, 'p', 'u1')).map((d) => d.id)).toEqual(['a#0', 'a#1', 'b#0']);
    // Stats count what is stored now: b's rewrite replaces its document.
    expect(await redis.hgetall(keys.sink('p', 'u1').stats)).toEqual({ records: '2', documents: '3' });
  });

  it('the JSONL sink appends changed records and commits their hashes and counts to the state', async () => {
    const path = join(dir, '{pipeline}-{user}.jsonl');
    const writer = jsonlSink({ path }).open(store.scope('p', 'u2'));
    expect(await writer.write([entry('a', 'h1', 2)])).toEqual({ written: 1, unchanged: 0, deleted: 0 });
    expect(await writer.write([entry('a', 'h1', 2), entry('b', 'h1', 1)])).toEqual({ written: 1, unchanged: 1, deleted: 0 });
    const lines = (await readFile(join(dir, 'p-u2.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['a#0', 'a#1', 'b#0']);
    expect(await redis.hgetall(keys.sink('p', 'u2').stats)).toEqual({ records: '2', documents: '3' });
    expect(await writer.changed([{ sourceId: 'a', hash: 'h1' }])).toEqual(new Set());
  });

  it('a sink scope carries no Redis connection or keys; the Redis sink refuses a scope the runtime did not make', () => {
    const scope = store.scope('p', 'u3');
    expect(Object.keys(scope).sort()).toEqual(['pipelineId', 'state', 'userId']);
    expect(() => redisSink().open({ pipelineId: 'p', userId: 'u3', state: scope.state })).toThrow(/through the Sluice runtime/);
  });
});
