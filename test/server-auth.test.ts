import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgressToken, ProgressTokenError, verifyProgressToken } from '../src/server/index.js';
import { SECRET, startTestServer, type TestServer } from './support/progress-server.js';
import { openSse, type SseStream } from './support/sse.js';

const NOW = Date.UTC(2030, 0, 1);
const LONG = 'a-test-secret-of-at-least-32-bytes';

describe('progress tokens', () => {
  it('round-trip: the user and expiry come back', () => {
    const token = createProgressToken({ userId: 'u1', secret: LONG, ttlSeconds: 60, now: NOW });
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())).toEqual({ sub: 'u1', exp: NOW / 1000 + 60 });
    expect(verifyProgressToken(token, LONG, NOW)).toEqual({ userId: 'u1', exp: NOW / 1000 + 60 });
  });

  it('expire at exp', () => {
    const token = createProgressToken({ userId: 'u1', secret: LONG, ttlSeconds: 60, now: NOW });
    expect(verifyProgressToken(token, LONG, NOW + 59_999).userId).toBe('u1');
    expect(() => verifyProgressToken(token, LONG, NOW + 60_000)).toThrow(expect.objectContaining({ code: 'token_expired' }));
  });

  it('refuse another secret, a changed claim, and a changed signature', () => {
    const token = createProgressToken({ userId: 'u1', secret: LONG, now: NOW });
    const [version, , signature] = token.split('.');
    const forged = `${version}.${Buffer.from(JSON.stringify({ sub: 'u2', exp: NOW / 1000 + 3600 })).toString('base64url')}.${signature}`;
    const flipped = token.slice(0, -2) + (token.at(-2) === 'A' ? 'B' : 'A') + token.at(-1);
    for (const [candidate, secret] of [[token, `other-${LONG}`], [forged, LONG], [flipped, LONG]] as const) {
      expect(() => verifyProgressToken(candidate, secret, NOW)).toThrow(expect.objectContaining({ name: 'ProgressTokenError', code: 'token_invalid' }));
    }
  });

  it.each(['', 'abc', 'v1.abc', 'v2.a.b', 'v1..sig', 'v1.a.b.c'])('call %j malformed', (token) => {
    expect(() => verifyProgressToken(token, LONG, NOW)).toThrow(ProgressTokenError);
    expect(() => verifyProgressToken(token, LONG, NOW)).toThrow(expect.objectContaining({ code: 'token_malformed' }));
  });

  it('need a valid user id and a secret', () => {
    expect(() => createProgressToken({ userId: 'bad user', secret: LONG })).toThrow(/Invalid user id/);
    expect(() => createProgressToken({ userId: 'u1', secret: '' })).toThrow(/secret/);
    expect(() => verifyProgressToken('v1.a.b', '')).toThrow(/secret/);
  });
});

describe('access to /v1/users/:userId/...', () => {
  let t: TestServer;
  const open: SseStream[] = [];
  beforeEach(async () => {
    t = await startTestServer('auth', { maxStreamsPerUser: 2, maxBodyBytes: 1024 });
  });
  afterEach(async () => {
    for (const stream of open.splice(0)) stream.close();
    await t.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.url}${path}`, { headers });
  const post = (userId: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}/v1/users/${userId}/runs`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${t.token(userId)}`, 'content-type': 'application/json', ...headers },
    });

  async function expectError(response: Response, status: number, code: string): Promise<Record<string, unknown>> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code, message: expect.any(String) });
    return body.error;
  }

  const routes = ['/progress', '/progress/stream'];

  it.each(routes)('%s: a missing token is 401 token_missing', async (route) => {
    const response = await get(`/v1/users/u1${route}`);
    await expectError(response, 401, 'token_missing');
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each(routes)('%s: a token for another user is 403', async (route) => {
    await expectError(await get(`/v1/users/u1${route}?token=${t.token('u2')}`), 403, 'forbidden');
    await expectError(await get(`/v1/users/u1${route}`, { authorization: `Bearer ${t.token('u2')}` }), 403, 'forbidden');
  });

  it.each(routes)('%s: an expired token is 401 token_expired', async (route) => {
    const expired = createProgressToken({ userId: 'u1', secret: SECRET, ttlSeconds: 60, now: Date.now() - 120_000 });
    await expectError(await get(`/v1/users/u1${route}?token=${expired}`), 401, 'token_expired');
  });

  it.each(routes)('%s: a tampered or foreign token is 401', async (route) => {
    const foreign = createProgressToken({ userId: 'u1', secret: 'not-ours-but-just-as-long-as-ours-000' });
    await expectError(await get(`/v1/users/u1${route}?token=${foreign}`), 401, 'token_invalid');
    const [version, claims] = t.token('u2').split('.');
    const spliced = `${version}.${claims}.${t.token('u1').split('.')[2]}`;
    await expectError(await get(`/v1/users/u2${route}?token=${spliced}`), 401, 'token_invalid');
    await expectError(await get(`/v1/users/u1${route}?token=garbage`), 401, 'token_malformed');
  });

  it.each(routes)('%s: a malformed user id is 400', async (route) => {
    const error = await expectError(await get(`/v1/users/bad%20user${route}?token=${t.token('u1')}`), 400, 'invalid_user_id');
    expect(error.message).toMatch(/user id must be 1-128 letters/);
  });

  it('a valid Bearer token opens the progress and the stream', async () => {
    expect((await get('/v1/users/u1/progress', { authorization: `Bearer ${t.token('u1')}` })).status).toBe(200);
    const sse = await openSse(`${t.url}/v1/users/u1/progress/stream`, { authorization: `Bearer ${t.token('u1')}` });
    open.push(sse);
    expect(sse.status).toBe(200);
  });

  it('POST runs starts a run (202) and returns the running one the second time', async () => {
    const first = await post('u1', JSON.stringify({ pipeline: 'notes', input: { note: 1 } }));
    expect(first.status).toBe(202);
    const started = (await first.json()) as { runId: string; created: boolean };
    expect(started).toEqual({ runId: expect.stringMatching(/^r/), created: true });
    const again = await post('u1', JSON.stringify({ pipeline: 'notes' }));
    expect(await again.json()).toEqual({ runId: started.runId, created: false });
    const [run] = await t.sluice.status('u1');
    expect(run).toMatchObject({ runId: started.runId, pipeline: 'notes', status: 'running' });
  });

  it.each([
    ['not JSON', 'not json', /JSON/],
    ['no pipeline', '{}', /^pipeline: /],
    ['a non-object input', '{"pipeline":"notes","input":[1]}', /^input: /],
    ['an unknown field', '{"pipeline":"notes","extra":1}', /extra/],
  ])('POST runs with %s is 400 invalid_body', async (_, body, message) => {
    const error = await expectError(await post('u1', body), 400, 'invalid_body');
    expect(error.message).toMatch(message);
  });

  it('POST runs with a body over maxBodyBytes is 413, with or without content-length', async () => {
    const big = JSON.stringify({ pipeline: 'notes', input: { pad: 'x'.repeat(2000) } });
    await expectError(await post('u1', big), 413, 'body_too_large');
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const response = await fetch(`${t.url}/v1/users/u1/runs`, {
      method: 'POST',
      body: chunked,
      headers: { authorization: `Bearer ${t.token('u1')}`, 'content-type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    await expectError(response, 413, 'body_too_large');
    expect(await t.sluice.status('u1')).toEqual([]);
  });

  it('POST runs of an unknown pipeline is 404, without the ids of the others', async () => {
    const error = await expectError(await post('u1', '{"pipeline":"nope"}'), 404, 'unknown_pipeline');
    expect(error).toMatchObject({ message: 'unknown pipeline "nope"' });
    expect(JSON.stringify(error)).not.toContain('notes');
  });

  it('POST runs needs the token of that user', async () => {
    await expectError(await post('u1', '{"pipeline":"notes"}', { authorization: `Bearer ${t.token('u2')}` }), 403, 'forbidden');
    expect(await t.sluice.status('u1')).toEqual([]);
  });

  it('more than maxStreamsPerUser streams of one user on this instance is 429; other users are not affected', async () => {
    const url = (user: string) => `${t.url}/v1/users/${user}/progress/stream?token=${t.token(user)}`;
    const streams = await Promise.all([openSse(url('u1')), openSse(url('u1'))]);
    open.push(...streams);
    const third = await openSse(url('u1'));
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(JSON.parse(await third.text())).toMatchObject({ error: { code: 'too_many_streams' } });
    const other = await openSse(url('u2'));
    open.push(other);
    expect(other.status).toBe(200);

    streams[0]!.close();
    await vi.waitFor(() => expect(t.server.stats().streams).toBe(2));
    const again = await openSse(url('u1'));
    open.push(again);
    expect(again.status).toBe(200);
  });
});
