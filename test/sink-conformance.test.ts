import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { jsonlSink, readJsonlDocuments, redisSink, type Sink, type StoredDocument } from '../src/index.js';
import { readDocuments } from '../src/sinks/read-documents.js';
import { createSinkStore } from '../src/sinks/sink-store.js';
import { createKeys } from '../src/store/keys.js';
import { sinkConformance, type SinkHarness } from './support/sink-conformance.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

/** A sink on its own prefix, with the Redis-side views every sink shares. */
async function harness(
  name: string,
  sink: (dir: string) => Sink<string>,
  documents: (redis: Redis, prefix: string, dir: string) => Promise<StoredDocument<string>[]>,
): Promise<SinkHarness & { dir: string }> {
  const prefix = uniquePrefix(name);
  const dir = await mkdtemp(join(tmpdir(), `sluice-${name}-`));
  const redis = new Redis(REDIS_URL);
  const keys = createKeys(prefix);
  const sinkKeys = keys.sink('p', 'u');
  return {
    dir,
    writer: sink(dir).open(createSinkStore(redis, keys).scope('p', 'u')),
    documents: () => documents(redis, prefix, dir),
    async stats() {
      const stats = await redis.hgetall(sinkKeys.stats);
      return { records: Number(stats.records ?? 0), documents: Number(stats.documents ?? 0) };
    },
    async stored(sourceId) {
      const [hash, indexed] = await Promise.all([redis.hget(sinkKeys.hashes, sourceId), redis.hexists(sinkKeys.docsOf, sourceId)]);
      return { hash, indexed: indexed === 1 };
    },
    async close() {
      redis.disconnect();
      await deletePrefix(prefix);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const openRedis = () =>
  harness('redis-sink', () => redisSink<string>(), (redis, prefix) => readDocuments<string>(redis, createKeys(prefix), 'p', 'u'));
const openJsonl = () =>
  harness(
    'jsonl-sink',
    (dir) => jsonlSink<string>({ path: join(dir, '{pipeline}', '{user}.jsonl') }),
    (_redis, _prefix, dir) => readJsonlDocuments<string>(join(dir, 'p', 'u.jsonl')),
  );

sinkConformance('redis', openRedis);
sinkConformance('jsonl', openJsonl);

it('the JSONL sink appends nothing for a repeated write and one tombstone per removed document', async () => {
  const sink = await openJsonl();
  try {
    const file = join(sink.dir, 'p', 'u.jsonl');
    const lines = async () => (await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const three = { sourceId: 'a', hash: 'h1', documents: ['one', 'two', 'three'].map((value, i) => ({ id: `a#${i + 1}`, value })) };
    await sink.writer.write([three]);
    await sink.writer.write([three]);
    expect(await lines()).toHaveLength(3);

    await sink.writer.write([{ sourceId: 'a', hash: 'h2', documents: [{ id: 'a#1', value: 'only' }] }]);
    await sink.writer.write([{ sourceId: 'a', deleted: true }]);
    await sink.writer.write([{ sourceId: 'a', deleted: true }]);
    const tail = (await lines()).slice(3).map(({ id, deleted, value }) => ({ id, deleted, value }));
    expect(tail).toEqual([
      { id: 'a#1', deleted: undefined, value: 'only' },
      { id: 'a#2', deleted: true, value: undefined },
      { id: 'a#3', deleted: true, value: undefined },
      { id: 'a#1', deleted: true, value: undefined },
    ]);
  } finally {
    await sink.close();
  }
});
