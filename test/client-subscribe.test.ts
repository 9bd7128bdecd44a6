import { afterEach, describe, expect, it } from 'vitest';
import {
  applyProgress, fetchProgress, initialProgressState, ProgressError, subscribeProgress,
  type ConnectionStatus, type ProgressSnapshotBody, type SubscribeOptions,
} from '../src/client/index.js';
import type { ProgressEntry, RunSnapshot } from '../src/progress/events.js';
import { createFakeProgressServer, itemFailed, memoryProgress, runEvent, type FakeProgressServer, type FakeServerOptions } from './support/sse-server.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function run(seq: number, patch: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    runId: 'r1', pipeline: 'github', userId: 'ada', status: 'running', startedAt: new Date().toISOString(), seq,
    counts: { discovered: 200, processed: seq, skipped: 0, failed: 0, written: seq, total: 200 },
    ...patch,
  };
}

async function setup(options: Partial<FakeServerOptions> = {}) {
  const log = memoryProgress('ada');
  const server = await createFakeProgressServer({ source: log.source, retryMs: 20, ...options });
  cleanups.push(() => server.close());
  return { log, server };
}

/** Subscribes and records every callback; `until` resolves when a condition holds after a callback (no polling). */
function follow(server: FakeProgressServer, options: Partial<SubscribeOptions> = {}) {
  const events: ProgressEntry[] = [];
  const snapshots: ProgressSnapshotBody[] = [];
  const statuses: ConnectionStatus[] = [];
  const errors: ProgressError[] = [];
  let state = initialProgressState();
  const waiters = new Set<() => void>();
  const changed = () => waiters.forEach((w) => w());
  const sub = subscribeProgress({
    url: server.url,
    userId: 'ada',
    token: 'secret',
    backoff: { initialMs: 20, maxMs: 200 },
    onEvent: (e) => (events.push(e), (state = applyProgress(state, e)), changed()),
    onSnapshot: (s) => (snapshots.push(s), (state = applyProgress(state, s)), changed()),
    onStatus: (s) => (statuses.push(s), changed()),
    onError: (e) => (errors.push(e), changed()),
    ...options,
  });
  cleanups.push(() => sub.close());
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => condition() && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
  return { sub, events, snapshots, statuses, errors, until, get state() { return state; } };
}

describe('subscribeProgress', () => {
  it('starts from a snapshot, then delivers live events in order', async () => {
    const { log, server } = await setup();
    log.append(runEvent('run.started', run(1)));
    const client = follow(server);
    await client.until(() => client.snapshots.length === 1);
    expect(client.snapshots[0]!.runs.map((r) => r.runId)).toEqual(['r1']);
    expect(server.requests[0]).toMatchObject({ lastEventId: undefined, authorization: 'Bearer secret' });

    const a = log.append(runEvent('run.progress', run(2)));
    const b = log.append(itemFailed(run(2), { id: 'rec-1', reason: 'bad' }));
    await client.until(() => client.events.length === 2);
    expect(client.events).toEqual([a, b]);
    expect(client.sub.status).toBe('live');
    expect(client.sub.lastEventId).toBe(b.id);
  });

  it('reconnects after a dropped stream and resumes from the last event id, without a new snapshot', async () => {
    const { log, server } = await setup();
    log.append(runEvent('run.started', run(1)));
    const client = follow(server);
    await client.until(() => client.snapshots.length === 1);
    const first = log.append(runEvent('run.progress', run(2)));
    await client.until(() => client.events.length === 1);

    await server.dropStreams();
    await server.waitForRequests(2);
    expect(server.requests[1]!.lastEventId).toBe(first.id);
    const next = log.append(runEvent('run.progress', run(3)));
    await client.until(() => client.events.length === 2);
    expect(client.events.map((e) => e.id)).toEqual([first.id, next.id]);
    expect(client.snapshots).toHaveLength(1);
    expect(client.statuses).toEqual(expect.arrayContaining(['live', 'reconnecting']));
  });

  it('delivers every event exactly once across three forced disconnects, with replays and byte-sized writes', async () => {
    const { log, server } = await setup({ chunkBytes: 1 });
    server.replayOnResume(3); // an at-least-once server: resumed streams repeat events the client has
    log.append(runEvent('run.started', run(1)));
    const client = follow(server);
    await client.until(() => client.snapshots.length === 1);
    let seq = 1;
    for (let drop = 1; drop <= 3; drop++) {
      for (let i = 0; i < 8; i++) {
        seq += 1;
        log.append(runEvent('run.progress', run(seq)));
        if (i % 3 === 0) log.append(itemFailed(run(seq), { id: `rec-${seq}`, reason: `failure ${seq}` }));
      }
      // Cut while those events are still being written, mid-message: some arrive, some must come on resume.
      await server.dropStreams({ partial: true });
      await server.waitForRequests(drop + 1);
    }
    const last = log.append(runEvent('run.completed', run(seq + 1, { status: 'completed' })));
    await client.until(() => client.sub.lastEventId === last.id);

    const after = client.snapshots[0]!.lastEventId;
    const expected = log.entries.filter((e) => after === null || Number(e.id.split('-')[0]) > Number(after.split('-')[0]));
    expect(client.events.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    expect(client.events).toEqual(expected);
    expect(client.snapshots).toHaveLength(1);
    expect(client.state.runs.r1!.status).toBe('completed');
    expect(client.state.failures.r1).toHaveLength(9);
    expect(server.requests.slice(1).every((r) => r.lastEventId !== undefined)).toBe(true);
  });

  it('resets to the snapshot the server sends when the resume id was trimmed away', async () => {
    const { log, server } = await setup();
    log.append(runEvent('run.started', run(1)));
    log.append(itemFailed(run(1), { id: 'rec-0', reason: 'early' }));
    const client = follow(server);
    await client.until(() => client.snapshots.length === 1);
    const seen = log.append(runEvent('run.progress', run(2)));
    await client.until(() => client.sub.lastEventId === seen.id);

    // While the client is away, a second run starts and the stream is trimmed past its position.
    await server.close();
    await client.until(() => client.sub.status === 'reconnecting');
    for (let seq = 3; seq < 40; seq++) log.append(runEvent('run.progress', run(seq)));
    log.append(runEvent('run.started', run(1, { runId: 'r2', pipeline: 'files' })));
    log.trim(5);
    await server.listen();

    await client.until(() => client.snapshots.length === 2);
    expect(server.requests.at(-1)!.lastEventId).toBe(seen.id);
    const truth = await log.source.snapshot('ada');
    expect(client.state).toEqual(applyProgress(initialProgressState(), truth));
    expect(client.state.runs.r1!.counts.processed).toBe(39);
    expect(Object.keys(client.state.runs).sort()).toEqual(['r1', 'r2']);
    expect(client.sub.lastEventId).toBe(truth.lastEventId);
  });

  it.each([
    { name: 'an expired token (401)', token: 'old', status: 401, code: 'token_expired' },
    { name: 'a forbidden user (403)', token: 'secret', status: 403, code: 'forbidden' },
  ])('stops without retrying on $name and reports it', async ({ token, status, code }) => {
    const { server } = await setup({ expiredTokens: ['old'] });
    if (status === 403) server.failNext({ status, code });
    const client = follow(server, { token });
    await client.sub.done;
    expect(client.errors).toHaveLength(1);
    expect(client.errors[0]).toMatchObject({ status, code, fatal: true });
    expect(client.sub.status).toBe('error');
    expect(client.statuses).toEqual(['error']);
    expect(server.requests).toHaveLength(1);
  });

  it('retries what may pass later (429, 503) and then connects', async () => {
    const { server } = await setup();
    server.failNext({ status: 429, code: 'too_many_streams' }, { status: 503, code: 'unavailable' });
    const client = follow(server);
    await client.until(() => client.snapshots.length === 1);
    expect(server.requests).toHaveLength(3);
    expect(client.errors).toEqual([]);
    expect(client.statuses).toEqual(['reconnecting', 'reconnecting', 'live']); // one per failed attempt, with its reason
  });

  it('close() aborts the stream and nothing fires afterwards', async () => {
    const { log, server } = await setup();
    const closing = follow(server);
    const control = follow(server);
    await closing.until(() => closing.snapshots.length === 1);
    await control.until(() => control.snapshots.length === 1);
    const before = { events: closing.events.length, statuses: [...closing.statuses] };

    closing.sub.close();
    await closing.sub.done;
    await server.waitForOpenStreams(1);
    // The control subscription getting the event proves it was published to every open stream.
    log.append(runEvent('run.progress', run(2)));
    await control.until(() => control.events.length === 1);
    expect(closing.events).toHaveLength(before.events);
    expect(closing.statuses).toEqual(before.statuses);
    expect(closing.sub.status).toBe('closed');
  });

  it('close() during a backoff wait cancels the retry', async () => {
    const { server } = await setup();
    await server.close();
    const client = follow(server, { backoff: { initialMs: 60_000, maxMs: 60_000 } });
    await client.until(() => client.sub.status === 'reconnecting');
    client.sub.close();
    await client.sub.done; // would wait out the 30-60 s backoff if close() did not cancel it
    expect(client.sub.status).toBe('closed');
    expect(server.requests).toHaveLength(0);
  });

  it('reconnects when the server goes silent longer than the idle timeout', async () => {
    const { server } = await setup({ pingMs: 3_600_000 });
    const client = follow(server, { idleTimeoutMs: 300 });
    await client.until(() => client.snapshots.length === 1);
    await server.waitForRequests(2);
    expect(server.requests[1]!.lastEventId).toBeUndefined(); // nothing in the stream yet: still no id to resume from
  });
});

describe('fetchProgress', () => {
  it('reads the snapshot, and throws the server error code', async () => {
    const { log, server } = await setup();
    log.append(runEvent('run.started', run(1)));
    expect((await fetchProgress({ url: server.url, userId: 'ada', token: 'secret' })).runs).toHaveLength(1);
    await expect(fetchProgress({ url: server.url, userId: 'ada', token: 'nope' })).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });
});
