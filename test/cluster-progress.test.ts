import { afterEach, describe, expect, it } from 'vitest';
import type { ProgressEntry } from '../src/index.js';
import { createKeys } from '../src/store/keys.js';
import { startTestServer, type TestServer } from './support/progress-server.js';
import { useRedisCluster } from './support/use-redis-cluster.js';
import { openSse, type SseMessage, type SseStream } from './support/sse.js';

const cluster = useRedisCluster();
let t: TestServer | undefined;
const open: SseStream[] = [];
afterEach(async () => {
  for (const stream of open.splice(0)) stream.close();
  await t?.stop();
  t = undefined;
});

async function stream(server: TestServer, userId: string): Promise<SseStream> {
  const sse = await openSse(`${server.url}/v1/users/${userId}/progress/stream?token=${server.token(userId)}`);
  open.push(sse);
  return sse;
}

/** One user per master: their progress streams lie on different nodes (and slots). */
const usersOnEveryNode = (prefix: string) =>
  cluster().spread(cluster().ports.length, (i) => `user-${i}`, (user) => createKeys(prefix).progress(user).events);

const entry = (message: SseMessage) => JSON.parse(message.data) as ProgressEntry;

describe('Redis Cluster: progress over SSE', () => {
  it('subscribers of users on different masters each get their own events, in order', async () => {
    t = await startTestServer('cluster-users', { redisUrl: cluster().url });
    const s = t;
    const users = await usersOnEveryNode(s.sluice.config.prefix!);
    const streams = await Promise.all(users.map((user) => stream(s, user)));
    for (const sse of streams) expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot' });
    expect(s.server.stats()).toEqual({ streams: users.length, watchedUsers: users.length });

    const published = await Promise.all(users.map((user) => s.publish(user, 5)));
    for (const [i, sse] of streams.entries()) {
      const messages = await sse.messages(5);
      expect(messages.map((m) => m.id)).toEqual(published[i]);
      for (const m of messages) expect(entry(m)).toMatchObject({ runId: `run-${users[i]}` });
    }
  });

  it('a user added while the reader waits gets events at once, not after the block timeout', async () => {
    // A block far longer than this test's timeout: only an interrupted wait lets it pass.
    t = await startTestServer('cluster-unblock', { redisUrl: cluster().url, blockMs: 600_000 });
    const s = t;
    const [first, second] = await usersOnEveryNode(s.sluice.config.prefix!);
    const a = await stream(s, first!);
    await a.nextMessage();
    const [early] = await s.publish(first!, 1);
    expect(await a.nextMessage()).toMatchObject({ id: early });

    const b = await stream(s, second!);
    await b.nextMessage();
    const [event] = await s.publish(second!, 1);
    expect(await b.nextMessage()).toMatchObject({ id: event, event: 'run.started' });
  }, 20_000);

  it('runs of users on every master, processed by a worker, stream from start to completion; healthz is ok', async () => {
    t = await startTestServer('cluster-runs', { redisUrl: cluster().url });
    const s = t;
    const users = await usersOnEveryNode(s.sluice.config.prefix!);
    const streams = await Promise.all(users.map((user) => stream(s, user)));
    for (const sse of streams) await sse.nextMessage();
    s.sluice.startWorker({ concurrency: 4 });
    const runs = await Promise.all(users.map((userId) => s.sluice.startRun('notes', { userId })));

    for (const [i, sse] of streams.entries()) {
      const types: string[] = [];
      for (;;) {
        const message = await sse.nextMessage();
        expect(message).toBeDefined();
        const event = entry(message!);
        expect(event.runId).toBe(runs[i]!.runId);
        types.push(event.type);
        if (event.type === 'run.completed') {
          expect(event).toMatchObject({ run: { userId: users[i], counts: { processed: 10, written: 10 } } });
          break;
        }
      }
      expect(types[0]).toBe('run.started');
    }
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);

  it('while a master does not answer: healthz says 503, users on the other masters still get events; then all is well again', async () => {
    t = await startTestServer('cluster-health', { redisUrl: cluster().url });
    const s = t;
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const [stuck, fine] = await usersOnEveryNode(s.sluice.config.prefix!);
    const stuckStream = await stream(s, stuck!);
    const fineStream = await stream(s, fine!);
    for (const sse of [stuckStream, fineStream]) await sse.nextMessage();
    const port = Number((await cluster().nodeOf(createKeys(s.sluice.config.prefix!).progress(stuck!).events)).split(':')[1]);
    cluster().freeze(port, true);
    try {
      const frozen = await fetch(`${s.url}/healthz`);
      expect(frozen.status).toBe(503);
      expect(await frozen.json()).toMatchObject({ error: { code: 'redis_unavailable' } });
      const [event] = await s.publish(fine!, 1);
      expect(await fineStream.nextMessage()).toMatchObject({ id: event });
    } finally {
      cluster().freeze(port, false);
    }
    const [late] = await s.publish(stuck!, 1);
    expect(await stuckStream.nextMessage()).toMatchObject({ id: late });
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  }, 30_000);
});
