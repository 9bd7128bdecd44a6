import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ProgressEntry } from '../src/index.js';
import type { ProgressBody } from '../src/server/index.js';
import { runAt, startTestServer, type TestServer } from './support/progress-server.js';
import { openSse, type SseMessage, type SseStream } from './support/sse.js';
import { withStore } from './support/redis.js';

let t: TestServer | undefined;
const open: SseStream[] = [];
afterEach(async () => {
  for (const stream of open.splice(0)) stream.close();
  await t?.stop();
  t = undefined;
});

async function start(name: string, options: Parameters<typeof startTestServer>[1] = {}): Promise<TestServer> {
  t = await startTestServer(name, options);
  return t;
}

async function stream(server: TestServer, userId: string, query = '', headers: Record<string, string> = {}): Promise<SseStream> {
  const sse = await openSse(`${server.url}/v1/users/${userId}/progress/stream?token=${server.token(userId)}${query}`, headers);
  open.push(sse);
  return sse;
}

const entry = (message: SseMessage) => JSON.parse(message.data) as ProgressEntry;
const ids = (messages: SseMessage[]) => messages.map((m) => m.id);

describe('progress stream (SSE)', () => {
  it('skips stream entries it cannot read (not JSON, an unknown version), replayed or live, and goes on after them', async () => {
    const s = await start('unreadable');
    const addUnreadable = () =>
      withStore(s.sluice.config.prefix!, async ({ redis, keys }) => {
        await redis.xadd(keys.progress('gil').events, '*', 'e', 'not json');
        await redis.xadd(keys.progress('gil').events, '*', 'e', JSON.stringify({ v: 99, type: 'run.progress' }));
      });
    const [first] = await s.publish('gil', 1);
    await addUnreadable();
    const [second] = await s.publish('gil', 1);
    const sse = await stream(s, 'gil', '', { 'last-event-id': first! });
    expect(await sse.nextMessage()).toMatchObject({ id: second, event: 'run.progress' });
    await addUnreadable();
    const [third] = await s.publish('gil', 1);
    expect(await sse.nextMessage()).toMatchObject({ id: third, event: 'run.progress' });

    expect((await s.sluice.events('gil')).map((e) => e.id)).toEqual([first, second, third]);
    const page = await s.sluice.readProgress('gil', { after: first!, count: 2 });
    expect(page).toMatchObject({ entries: [], full: true });
    expect(await s.sluice.readProgress('gil', { after: page.lastId!, count: 2 })).toMatchObject({ entries: [{ id: second }] });
  });

  it('starts with retry and a snapshot carrying the latest id, then follows live events', async () => {
    const s = await start('live');
    const published = await s.publish('ann', 3);
    const sse = await stream(s, 'ann');
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toBe('text/event-stream');
    expect(await sse.next()).toEqual({ kind: 'retry', ms: 1000 });

    const snapshot = await sse.nextMessage();
    expect(snapshot).toMatchObject({ event: 'snapshot', id: published[2] });
    const body = JSON.parse(snapshot!.data) as ProgressBody;
    const progress = await fetch(`${s.url}/v1/users/ann/progress`, { headers: { authorization: `Bearer ${s.token('ann')}` } });
    // The same body as GET progress; only the ETA moves with the clock.
    const withoutEta = ({ runs, ...rest }: ProgressBody) => ({ ...rest, runs: runs.map(({ etaSeconds: _, ...run }) => run) });
    expect(withoutEta(body)).toEqual(withoutEta((await progress.json()) as ProgressBody));
    expect(body).toMatchObject({ userId: 'ann', lastEventId: published[2], runs: [{ runId: 'run-ann', seq: 3, failures: [], etaSeconds: expect.any(Number) }] });

    const [live] = await s.publish('ann', 1);
    const [message] = await sse.messages(1);
    expect(message).toMatchObject({ id: live, event: 'run.progress' });
    expect(entry(message!)).toMatchObject({ id: live, type: 'run.progress', runId: 'run-ann', run: runAt('ann', 4) });
  });

  it('a snapshot of a user without events has no id and lastEventId null, and the first event still arrives', async () => {
    const s = await start('empty');
    const sse = await stream(s, 'nobody');
    const snapshot = await sse.nextMessage();
    expect(snapshot).toEqual({ kind: 'message', event: 'snapshot', data: JSON.stringify({ userId: 'nobody', lastEventId: null, runs: [] }) });
    const [first] = await s.publish('nobody', 1);
    expect(await sse.nextMessage()).toMatchObject({ id: first, event: 'run.started' });
  });

  it('replays everything after Last-Event-ID, without a snapshot, then follows live', async () => {
    const s = await start('replay');
    const published = await s.publish('bo', 5);
    // The header wins over ?since=.
    const sse = await stream(s, 'bo', `&since=${published[3]}`, { 'last-event-id': published[1]! });
    const replayed = await sse.messages(3);
    expect(ids(replayed)).toEqual(published.slice(2));
    expect(replayed.map((m) => m.event)).toEqual(['run.progress', 'run.progress', 'run.progress']);
    expect(replayed.map((m) => entry(m).id)).toEqual(published.slice(2));
    const more = await s.publish('bo', 2);
    expect(ids(await sse.messages(2))).toEqual(more);
  });

  it('resumes from ?since= when there is no Last-Event-ID', async () => {
    const s = await start('since');
    const published = await s.publish('cy', 4);
    const sse = await stream(s, 'cy', `&since=${published[0]}`);
    expect(ids(await sse.messages(3))).toEqual(published.slice(1));
  });

  it('switches from replay to live with no gap and no duplicate while events keep coming', async () => {
    const s = await start('switch');
    const [first] = await s.publish('dee', 1);
    const publishing = s.publish('dee', 300);
    const sse = await stream(s, 'dee', `&since=${first}`);
    const all = await publishing;
    const received: string[] = [];
    while (received.at(-1) !== all.at(-1)) {
      const message = await sse.nextMessage();
      if (!message) throw new Error('stream ended');
      received.push(message.id!);
    }
    expect(received).toEqual(all);
  });

  it('sends a `: ping` comment every heartbeatMs', async () => {
    const s = await start('ping', { heartbeatMs: 20 });
    const sse = await stream(s, 'eve');
    let item = await sse.next();
    while (item && item.kind !== 'comment') item = await sse.next();
    expect(item).toEqual({ kind: 'comment', text: 'ping' });
  });

  it('sends a snapshot first when the resume id was trimmed away, then continues from the snapshot id', async () => {
    const s = await start('trim', { maxEvents: 10 });
    const published = await s.publish('fay', 300);
    expect(await withStore(s.sluice.config.prefix!, ({ redis, keys }) => redis.xlen(keys.progress('fay').events))).toBeLessThan(300);
    const sse = await stream(s, 'fay', '', { 'last-event-id': published[0]! });
    const snapshot = await sse.nextMessage();
    expect(snapshot).toMatchObject({ event: 'snapshot', id: published.at(-1) });
    expect(JSON.parse(snapshot!.data)).toMatchObject({ lastEventId: published.at(-1), runs: [{ seq: 300 }] });
    const [next] = await s.publish('fay', 1);
    expect(await sse.nextMessage()).toMatchObject({ id: next, event: 'run.progress' });
  });

  it('replays without a snapshot when the resume id is old but nothing after it was trimmed', async () => {
    const s = await start('untrimmed');
    const published = await s.publish('gus', 3);
    const sse = await stream(s, 'gus', '&since=0-0');
    expect(ids(await sse.messages(3))).toEqual(published);
  });

  it('sends a snapshot when the resume id is newer than anything the stream holds (the stream was reset)', async () => {
    const s = await start('future');
    const published = await s.publish('hal', 2);
    const sse = await stream(s, 'hal', '&since=99999999999999-0');
    expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot', id: published[1] });
  });

  it('a malformed resume id is a 400', async () => {
    const s = await start('bad-id');
    for (const [query, headers] of [['&since=banana', {}], ['', { 'last-event-id': '12-x' }]] as const) {
      const sse = await stream(s, 'ida', query, headers);
      expect(sse.status).toBe(400);
      expect(await sse.text()).toMatch(/"code":"invalid_event_id"/);
    }
  });

  it('close() ends every open stream cleanly and refuses new connections', async () => {
    const s = await start('shutdown');
    const streams = await Promise.all(['jo', 'jo', 'kit'].map((user) => stream(s, user)));
    for (const sse of streams) expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot' });
    expect(s.server.stats().streams).toBe(3);
    await s.listening.close();
    for (const sse of streams) expect(await sse.ended()).toEqual([]);
    expect(s.server.stats()).toEqual({ streams: 0, watchedUsers: 0 });
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('a stream the client closes leaves the shared reader when nobody else watches that user', async () => {
    const s = await start('leave');
    const first = await stream(s, 'lou');
    const second = await stream(s, 'lou');
    for (const sse of [first, second]) await sse.nextMessage();
    await vi.waitFor(() => expect(s.server.stats()).toEqual({ streams: 2, watchedUsers: 1 }));
    first.close();
    await vi.waitFor(() => expect(s.server.stats()).toEqual({ streams: 1, watchedUsers: 1 }));
    second.close();
    await vi.waitFor(() => expect(s.server.stats()).toEqual({ streams: 0, watchedUsers: 0 }));
  });
});
