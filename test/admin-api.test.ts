import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminToken } from '../src/auth/admin-token.js';
import { createLimiter } from '../src/limiter/limiter.js';
import type { AdminRun, LimitersPage, QueueState, RunsPage } from '../src/runtime/admin/index.js';
import { createProgressServer } from '../src/server/index.js';
import { ADMIN_SECRET, HOSTILE_REASON, startAdminFixture, type AdminFixture } from './support/admin-server.js';
import { SECRET } from './support/progress-server.js';
import { withStore } from './support/redis.js';
import { waitForRun } from './support/wait.js';

let f: AdminFixture;
beforeAll(async () => {
  f = await startAdminFixture('api');
});
afterAll(async () => {
  await f?.stop();
});

async function call(path: string, options: { method?: string; token?: string | null } = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const token = options.token === undefined ? f.adminToken : options.token;
  const response = await fetch(`${f.url}${path}`, { method: options.method ?? 'GET', headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json(), headers: response.headers };
}

/** Every run the API lists, following its cursors `users` users at a time. */
async function allRuns(query = '', users = 1): Promise<{ runs: AdminRun[]; unreadable: number }> {
  const runs: AdminRun[] = [];
  let unreadable = 0;
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, body } = await call(`/admin/api/runs?users=${users}${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    const page = body as RunsPage;
    runs.push(...page.runs);
    unreadable += page.unreadable;
    cursor = page.cursor;
    pages++;
  } while (cursor !== null && pages < 100);
  return { runs, unreadable };
}

describe('admin API: who may call it', () => {
  it('refuses a missing token (401), a user progress token (403), and forged, expired or malformed admin tokens (401)', async () => {
    const missing = await call('/admin/api/runs', { token: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('admin_token_missing');
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');

    const user = await call('/admin/api/runs', { token: f.userToken('alice') });
    expect(user.status).toBe(403);
    expect(user.body.error).toEqual({ code: 'user_token_refused', message: "this is a user's progress token; admin routes need an admin token (sluice token --admin)" });

    const forged = await call('/admin/api/runs', { token: createAdminToken({ secret: SECRET }) });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe('token_invalid');

    const expired = await call('/admin/api/queues', { token: createAdminToken({ secret: ADMIN_SECRET, ttlSeconds: 60, now: Date.now() - 120_000 }) });
    expect(expired.status).toBe(401);
    expect(expired.body.error.code).toBe('token_expired');

    const garbage = await call('/admin/api/limiters', { token: 'not-a-token' });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.code).toBe('token_malformed');

    const cancel = await call('/admin/api/users/alice/runs/r1/cancel', { method: 'POST', token: f.userToken('alice') });
    expect(cancel.status).toBe(403);
  });

  it('an admin token opens no user route, and ?token= does not open admin routes', async () => {
    const asUser = await call('/v1/users/alice/progress', { token: f.adminToken });
    expect(asUser.status).toBe(401);
    expect(asUser.body.error.code).toBe('token_malformed');
    const inQuery = await fetch(`${f.url}/admin/api/runs?token=${f.adminToken}`);
    expect(inQuery.status).toBe(401);
  });

  it('the admin secret must be long enough and differ from the progress secret', async () => {
    expect(() => createProgressServer({ sluice: f.sluice, secret: SECRET, admin: { secret: SECRET } })).toThrow('the admin secret must differ from the progress token secret');
    expect(() => createProgressServer({ sluice: f.sluice, secret: SECRET, admin: { secret: 'short' } })).toThrow(/admin secret must be at least 32 bytes, got 5/);
  });

  it('a server without `admin` has no admin routes', async () => {
    const listening = await createProgressServer({ sluice: f.sluice, secret: SECRET }).listen(0);
    try {
      const response = await fetch(`${listening.url}/admin/api/runs`, { headers: { authorization: `Bearer ${f.adminToken}` } });
      expect(response.status).toBe(404);
      expect((await fetch(`${listening.url}/admin`)).status).toBe(404);
    } finally {
      await listening.close();
    }
  });
});

describe('admin API: bad input', () => {
  it.each([
    ['/admin/api/runs?users=0', 'invalid_query', 'users must be an integer from 1 to 200, got "0"'],
    ['/admin/api/runs?users=many', 'invalid_query', 'users must be an integer from 1 to 200, got "many"'],
    ['/admin/api/runs?status=stuck', 'invalid_query', 'status must be one of running, completed, failed, cancelled, got "stuck"'],
    ['/admin/api/runs?waiting=maybe', 'invalid_query', 'waiting must be true or false, got "maybe"'],
    ['/admin/api/runs?cursor=abc', 'invalid_cursor', 'cursor "abc" is not a cursor this API returned (digits, or node-digits on a cluster)'],
    ['/admin/api/users/bad%20user/runs/r1', 'invalid_user_id', 'Invalid user id "bad user": user id must be 1-128 letters, digits, or . _ @ -'],
    ['/admin/api/users/alice/runs/r%3Cx%3E', 'invalid_run_id', 'run id "r<x>" must be 1-128 letters, digits, or . _ -'],
  ])('GET %s is 400 %s', async (path, code, message) => {
    const { status, body } = await call(path);
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code, message } });
  });

  it.each(['GET', 'POST cancel', 'POST retry'])('%s of an unknown run is 404 run_not_found', async (what) => {
    const [method, action] = what.split(' ');
    const { status, body } = await call(`/admin/api/users/alice/runs/r-nope${action ? `/${action}` : ''}`, { method });
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'run_not_found', message: 'user alice has no run r-nope' } });
  });

  it('POST with a bad run id is 400 before anything is looked up', async () => {
    const { status, body } = await call('/admin/api/users/alice/runs/a:b/retry', { method: 'POST' });
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_run_id');
  });
});

describe('admin API over real runs', () => {
  it('lists runs of several users with counts, age and failed items; pages by cursor; filters by status and waiting', async () => {
    const alice = await f.sluice.startRun('notes', { userId: 'alice' });
    const bob = await f.sluice.startRun('notes', { userId: 'bob' });
    const carl = await f.sluice.startRun('limited', { userId: 'carl' });
    expect((await waitForRun(f.sluice, 'alice', alice.runId)).status).toBe('completed');
    expect((await waitForRun(f.sluice, 'bob', bob.runId)).status).toBe('completed');
    // carl's run waits on the source's rate limit (10 minutes): wait for the snapshot to say so.
    for (let after: string | undefined; ; ) {
      const events = await f.sluice.events('carl', { after, blockMs: 1000 });
      after = events.at(-1)?.id ?? after;
      if (events.some((e) => 'run' in e && e.run.waiting)) break;
    }

    // Page after page by cursor, a user or so at a time: every run exactly once.
    const { runs } = await allRuns();
    expect(runs.map((r) => `${r.userId}/${r.pipeline}`).sort()).toEqual(['alice/notes', 'bob/notes', 'carl/limited']);
    const aliceRun = runs.find((r) => r.runId === alice.runId)!;
    expect(aliceRun).toMatchObject({ userId: 'alice', pipeline: 'notes', status: 'completed', counts: { discovered: 10, processed: 7, failed: 3, total: 10 } });
    expect(aliceRun.ageSeconds).toEqual(expect.any(Number));
    expect(aliceRun.durationSeconds).toBeLessThanOrEqual(aliceRun.ageSeconds);
    expect(aliceRun.recentFailures.map((x) => x.id).sort()).toEqual(['rec-000001', 'rec-000005', 'rec-000009']);
    expect(aliceRun.recentFailures[0]!.reason).toBe(HOSTILE_REASON);

    // An entry that is not a snapshot (hand-edited, or another app's) is counted and skipped.
    await withStore(f.prefix, ({ redis, keys }) => redis.hset(keys.progress('alice').snapshot, 'junk', '{not json'));
    const withJunk = await allRuns('', 200);
    expect(withJunk.runs).toHaveLength(3);
    expect(withJunk.unreadable).toBe(1);
    await withStore(f.prefix, ({ redis, keys }) => redis.hdel(keys.progress('alice').snapshot, 'junk'));

    const completed = (await call('/admin/api/runs?users=200&status=completed')).body as RunsPage;
    expect(completed.runs.map((r) => r.userId).sort()).toEqual(['alice', 'bob']);
    expect(completed.cursor).toBeNull();
    const waits = (await call('/admin/api/runs?users=200&waiting=true')).body as RunsPage;
    expect(waits.runs).toEqual([expect.objectContaining({ userId: 'carl', runId: carl.runId, status: 'running', waiting: expect.objectContaining({ on: 'synthetic', reason: 'rate limit' }) })]);

    const detail = await call(`/admin/api/users/alice/runs/${alice.runId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.run).toMatchObject({ runId: alice.runId, status: 'completed' });
    expect(detail.body.failures).toHaveLength(3);

    // carl's run is done with: cancelling it through the API ends it, once.
    const cancelled = await call(`/admin/api/users/carl/runs/${carl.runId}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.run).toMatchObject({ runId: carl.runId, status: 'cancelled' });
    expect((await f.sluice.findRun('carl', carl.runId))?.status).toBe('cancelled');
    const again = await call(`/admin/api/users/carl/runs/${carl.runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'run_finished', message: `run ${carl.runId} already ended cancelled; nothing to cancel` });
  });

  it('retry re-runs a run with failed items: only the failed records are processed again', async () => {
    const first = await f.sluice.startRun('notes', { userId: 'dora' });
    expect((await waitForRun(f.sluice, 'dora', first.runId)).counts).toMatchObject({ processed: 7, failed: 3 });
    f.flaky.on = false;
    try {
      const retry = await call(`/admin/api/users/dora/runs/${first.runId}/retry`, { method: 'POST' });
      expect(retry.status).toBe(202);
      expect(retry.body).toEqual({ runId: expect.any(String), retryOf: first.runId });
      expect(retry.body.runId).not.toBe(first.runId);
      const second = await waitForRun(f.sluice, 'dora', retry.body.runId);
      expect(second).toMatchObject({ status: 'completed', counts: { processed: 3, skipped: 7, failed: 0 } });

      const nothing = await call(`/admin/api/users/dora/runs/${retry.body.runId}/retry`, { method: 'POST' });
      expect(nothing.status).toBe(409);
      expect(nothing.body.error).toEqual({ code: 'nothing_to_retry', message: `run ${retry.body.runId} completed with no failed items; nothing to retry` });
    } finally {
      f.flaky.on = true;
    }
  });

  it('retry refuses a running run (409) and restarts a cancelled one', async () => {
    const held = await f.sluice.startRun('held', { userId: 'erin' });
    const running = await call(`/admin/api/users/erin/runs/${held.runId}/retry`, { method: 'POST' });
    expect(running.status).toBe(409);
    expect(running.body.error).toEqual({ code: 'run_running', message: `run ${held.runId} is still running; cancel it first to retry` });
    expect((await call(`/admin/api/users/erin/runs/${held.runId}/cancel`, { method: 'POST' })).status).toBe(200);
    const restarted = await call(`/admin/api/users/erin/runs/${held.runId}/retry`, { method: 'POST' });
    expect(restarted.status).toBe(202);
    const busy = await call(`/admin/api/users/erin/runs/${held.runId}/retry`, { method: 'POST' });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toMatchObject({ code: 'pipeline_busy', runId: restarted.body.runId });
    expect((await f.sluice.cancelRun('held', 'erin')).outcome).toBe('cancelled');
  });

  it('queues: job counts per queue, with the pipelines on it', async () => {
    await f.sluice.startRun('idle', { userId: 'fay' });
    const { status, body } = await call('/admin/api/queues');
    expect(status).toBe(200);
    const queues = body.queues as QueueState[];
    expect(queues.map((q) => q.name).sort()).toEqual(['default', 'idle-q']);
    expect(queues.find((q) => q.name === 'default')!.pipelines.sort()).toEqual(['held', 'limited', 'notes']);
    // No worker serves idle-q: fay's first page waits there.
    const idle = queues.find((q) => q.name === 'idle-q')!;
    expect(idle.pipelines).toEqual(['idle']);
    expect(idle.counts.waiting + idle.counts.prioritized).toBe(1);
    expect(idle.counts.active).toBe(0);
    expect((await f.sluice.cancelRun('idle', 'fay')).outcome).toBe('cancelled');
  });

  it('limiters: configured, advertised and learned limits, budget, pause and waiters, as the limiter left them', async () => {
    const before = (await call('/admin/api/limiters')).body as LimitersPage;
    // A configured key shows before its first call, with a full bucket.
    expect(before.limiters.find((l) => l.key === 'test:model')).toMatchObject({ configured: { rpm: 600, tpm: 60_000 }, effective: { rpm: 600, tpm: 60_000 }, waiters: 0 });

    await withStore(f.prefix, async ({ redis, keys }) => {
      const limiter = createLimiter(redis, keys, { 'test:model': { rpm: 600, tpm: 60_000 } });
      await limiter.tryAcquire('test:model', 100);
      // The provider answers 429 with headers advertising 500 rpm: every worker pauses for a minute.
      await limiter.settle('test:model', 100, { kind: 'rate_limited', retryAfterMs: 60_000, learned: { rpm: 500 } });
    });
    const after = (await call('/admin/api/limiters')).body as LimitersPage;
    expect(after.truncated).toBe(false);
    const state = after.limiters.find((l) => l.key === 'test:model')!;
    expect(state).toMatchObject({ configured: { rpm: 600, tpm: 60_000 }, advertised: { rpm: 500 }, learned: { rpm: 400, tpm: 48_000 }, effective: { rpm: 400, tpm: 48_000 } });
    expect(Date.parse(state.pausedUntil!)).toBeGreaterThan(Date.now() + 50_000);
    expect(state.today).toEqual({ requests: 1, tokens: 100 });
    // A paused bucket restarts empty: nothing to spend until the pause ends.
    expect(state.budget.requests).toBeLessThanOrEqual(0);
  });
});
