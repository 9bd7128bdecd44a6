import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/progress-server.js';
import { openSse, type SseStream } from './support/sse.js';
import { withStore } from './support/redis.js';

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

describe('shared reader (one XREAD for every open stream)', () => {
  it('100 concurrent subscribers of one user each receive every event, in order', async () => {
    t = await startTestServer('fanout', { maxStreamsPerUser: 100 });
    const s = t;
    const subscribers = await Promise.all(Array.from({ length: 100 }, () => stream(s, 'max')));
    for (const sse of subscribers) expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot' });
    expect(s.server.stats()).toEqual({ streams: 100, watchedUsers: 1 });

    const published = await s.publish('max', 50);
    const received = await Promise.all(subscribers.map(async (sse) => (await sse.messages(50)).map((m) => m.id)));
    for (const ids of received) expect(ids).toEqual(published);
  });

  it('subscribers of many users each get only their own events', async () => {
    t = await startTestServer('users');
    const s = t;
    const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    const streams = await Promise.all(users.map((user) => stream(s, user)));
    for (const sse of streams) await sse.nextMessage();
    const published = await Promise.all(users.map((user) => s.publish(user, 5)));
    for (const [i, sse] of streams.entries()) {
      const messages = await sse.messages(5);
      expect(messages.map((m) => m.id)).toEqual(published[i]);
      for (const m of messages) expect(JSON.parse(m.data)).toMatchObject({ runId: `run-${users[i]}` });
    }
  });

  it('a user added while the reader is blocked gets events at once (CLIENT UNBLOCK), not after the block timeout', async () => {
    // A block far longer than this test's timeout: only an interrupted XREAD lets it pass.
    t = await startTestServer('unblock', { blockMs: 600_000 });
    const s = t;
    const first = await stream(s, 'ned');
    await first.nextMessage();
    const [blockedUserEvent] = await s.publish('ned', 1);
    // This event came through the XREAD that now blocks again, watching only ned.
    expect(await first.nextMessage()).toMatchObject({ id: blockedUserEvent });

    const second = await stream(s, 'ola');
    await second.nextMessage();
    const [event] = await s.publish('ola', 1);
    expect(await second.nextMessage()).toMatchObject({ id: event, event: 'run.started' });
  }, 20_000);

  it('a dropped reader connection reconnects and the stream goes on without a gap', async () => {
    t = await startTestServer('reconnect');
    const s = t;
    const sse = await stream(s, 'pat');
    await sse.nextMessage();
    const before = await s.publish('pat', 2);
    expect((await sse.messages(2)).map((m) => m.id)).toEqual(before);

    await withStore(s.sluice.config.prefix!, async ({ redis, keys }) => {
      const clients = (await redis.client('LIST')) as string;
      const hub = clients.split('\n').find((line) => line.includes(` name=${keys.prefix}:progress-hub `));
      expect(hub).toBeDefined();
      await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(hub!)![1]!);
    });

    const after = await s.publish('pat', 3);
    expect((await sse.messages(3)).map((m) => m.id)).toEqual(after);
  });
});
