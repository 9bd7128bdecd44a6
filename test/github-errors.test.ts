import { inspect } from 'node:util';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectorParamsError, CursorError, SourceAuthError, SourceError, SourceRateLimitError, SourceResponseError } from '../src/connector/index.js';
import { createGithubConnector } from '../connectors/github/index.js';
import { API, failuresOf, fixture, makeContext, readAll, recordsOf, rejection } from '../connectors/github/fixtures/harness.js';

// A fresh connector per test, as a fresh process: a rate limit closes the token's gate for the rest of its process.
const newStreams = () => createGithubConnector({ perPage: 3, retry: { retries: 1, baseDelayMs: 1 } }).streams;
let { issues, repositories } = newStreams();
beforeEach(() => ({ issues, repositories } = newStreams()));
const listQuery = { state: 'all', sort: 'created', direction: 'asc', per_page: '3' };
const app = () => makeContext({ repos: ['acme/app'] });

/** Headers GitHub sends on every REST answer. */
const rateHeaders = (remaining: number, reset: number) => ({
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': String(reset),
  'x-ratelimit-used': String(5000 - remaining),
  'x-ratelimit-resource': 'core',
});
const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('rate limits: the shard is re-queued, the worker does not sleep', () => {
  it('secondary limit (403) without Retry-After: SourceRateLimitError after 60 s, no retry in process', async () => {
    const scope = nock(API).get('/repos/acme/app/issues').query(listQuery).once().reply(403, fixture('error-secondary-rate-limit'), rateHeaders(4990, inAMinute()));
    const started = Date.now();
    const error = await rejection(issues.read(app(), undefined));
    scope.done();
    expect(error).toBeInstanceOf(SourceRateLimitError);
    expect((error as SourceRateLimitError).retryAfterMs).toBe(60_000);
    expect(error.message).toMatch(/secondary rate limit on GET \/repos\/acme\/app\/issues/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('primary limit (403, x-ratelimit-remaining 0): waits until x-ratelimit-reset', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(403, fixture('error-rate-limit'), rateHeaders(0, reset));
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceRateLimitError);
    const expected = reset * 1000 - Date.now();
    expect((error as SourceRateLimitError).retryAfterMs).toBeGreaterThanOrEqual(expected - 1000);
    expect((error as SourceRateLimitError).retryAfterMs).toBeLessThanOrEqual(expected + 2000);
    expect(error.message).toMatch(/primary rate limit/);
  });

  it('429 with Retry-After: that many seconds', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).once().reply(429, { message: 'Too Many Requests' }, { 'retry-after': '30' });
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceRateLimitError);
    expect((error as SourceRateLimitError).retryAfterMs).toBe(30_000);
  });

  it('a short secondary wait (Retry-After <= 2 s) is retried once in process', async () => {
    const scope = nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(403, fixture('error-secondary-rate-limit'), { 'retry-after': '1' })
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-3'));
    const page = await issues.read(app(), undefined);
    scope.done();
    expect(page.records.map((record) => record.id)).toEqual(['issue:acme/app#37']);
  });

  it('but not twice', async () => {
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .twice()
      .reply(403, fixture('error-secondary-rate-limit'), { 'retry-after': '1' });
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceRateLimitError);
    expect((error as SourceRateLimitError).retryAfterMs).toBe(1000);
  });
});

describe('auth', () => {
  it('401: SourceAuthError that never shows the token', async () => {
    const token = 'ghp_S3cr3tT0kenValue';
    nock(API).get('/user/repos').query(true).reply(401, fixture('error-bad-credentials'));
    const context = makeContext({}, { credentials: async () => ({ token }) });
    const error = await rejection(repositories.read(context, undefined));
    expect(error).toBeInstanceOf(SourceAuthError);
    expect(error.message).toBe('GitHub rejected the token (401): revoked or expired (GET /user/repos)');
    expect(error.message).not.toContain(token);
    expect(inspect(error, { depth: 8 })).not.toContain(token);
  });

  it('403 without rate-limit signs: SourceAuthError about scope or permission', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(403, fixture('error-forbidden'), rateHeaders(4999, inAMinute()));
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceAuthError);
    expect(error.message).toMatch(/scope or permission: Resource not accessible by personal access token/);
  });

  it('no token: SourceAuthError naming GITHUB_TOKEN and the credentials provider, before any request', async () => {
    const error = await rejection(issues.read(makeContext({ repos: ['acme/app'] }, { credentials: async () => ({}) }), undefined));
    expect(error).toBeInstanceOf(SourceAuthError);
    expect(error.message).toMatch(/GITHUB_TOKEN/);
    expect(error.message).toMatch(/credentials provider/);
  });
});

describe('missing repositories and odd answers', () => {
  it('a 404 repo among 2 is a failure of that repo; the other still yields its records', async () => {
    nock(API)
      .get('/repos/acme/gone/issues')
      .query(listQuery)
      .reply(404, fixture('error-not-found'))
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-3'));
    const pages = await readAll(issues, makeContext({ repos: ['acme/gone', 'acme/app'] }));
    expect(failuresOf(pages)).toEqual([{ id: 'acme/gone', reason: 'repository acme/gone not found, or not visible to this token (404)' }]);
    expect(recordsOf(pages).map((record) => record.id)).toEqual(['issue:acme/app#37']);
  });

  it('repos from the run input when the params name none', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, []);
    const pages = await readAll(issues, makeContext({}, { input: { repos: ['acme/app', 'not a repo'] } }));
    expect(failuresOf(pages)).toEqual([{ id: 'not a repo', reason: expect.stringContaining('owner/name') }]);
  });

  it('an object where a list was expected: SourceResponseError naming the endpoint', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, { message: 'Moved Permanently', url: 'https://api.github.com/repositories/1' });
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceResponseError);
    expect(error.message).toBe('GitHub GET /repos/acme/app/issues returned an object where a list was expected');
  });

  it('an item missing a required field: SourceResponseError naming the item and the field', async () => {
    const [issue] = fixture<Record<string, unknown>[]>('issues-page-3');
    delete issue!.title;
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, [issue]);
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceResponseError);
    expect(error.message).toMatch(/GET \/repos\/acme\/app\/issues returned an unexpected item \[0\]: "title"/);
  });

  it('5xx is retried in process a small number of times, then fails the page', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(502, 'Bad Gateway').get('/repos/acme/app/issues').query(listQuery).reply(200, []);
    expect(await issues.read(app(), undefined)).toEqual({ records: [], watermark: expect.stringMatching(/Z$/) });

    nock(API).get('/repos/acme/app/issues').query(listQuery).twice().reply(503, { message: 'Service Unavailable' });
    const error = await rejection(issues.read(app(), undefined));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).not.toBeInstanceOf(SourceAuthError);
    expect(error.message).toMatch(/GET \/repos\/acme\/app\/issues failed \(503\) after retries/);
  });

  it('never follows a Link to another host (the token would go with it)', async () => {
    nock(API).get('/user/repos').query(true).reply(200, [], { link: '<https://evil.example.com/user/repos?page=2>; rel="next"' });
    const error = await rejection(repositories.read(makeContext({}), undefined));
    expect(error).toBeInstanceOf(SourceResponseError);
    expect(error.message).toMatch(/outside https:\/\/api\.github\.com/);
  });

  it('repository names outside the owner/name grammar are refused, naming them, before any request', async () => {
    const connector = createGithubConnector();
    for (const name of ['../user', 'acme/..', 'acme/.', 'a/b/c', '-acme/app', 'acme/app?x=1', 'acme/a%2Fb']) {
      expect(() => connector.files({ repos: [name] })).toThrow(`"${name}" is not a repository name of the form "owner/name"`);
    }
    expect(() => connector.files({ repos: ['acme/app.js', 'a_b/c-d', 'octo-org/.github'] })).not.toThrow();
    // From the run input: a failure of that item, and no request (none is intercepted).
    const pages = await readAll(issues, makeContext({}, { input: { repos: ['../user'] } }));
    expect(failuresOf(pages)).toEqual([{ id: '../user', reason: '"../user" is not a repository name of the form "owner/name"' }]);
  });

  it('a tampered cursor is refused', async () => {
    const error = await rejection(issues.read(app(), 'not-a-cursor'));
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toBeInstanceOf(CursorError);
    expect(error.message).toMatch(/^github\.issues: malformed cursor/);
  });

  it('a cursor of the wrong shape is refused, naming the field', async () => {
    const forged = Buffer.from(JSON.stringify({ repo: -1, until: '2024-01-01T00:00:00Z' })).toString('base64url');
    const error = await rejection(issues.read(app(), forged));
    expect(error).toBeInstanceOf(CursorError);
    expect(error.message).toMatch(/malformed cursor: repo: /);
  });
});

describe('connector options', () => {
  it('a bad option is a ConnectorParamsError when the connector is created, naming the option', () => {
    expect(() => createGithubConnector({ baseUrl: 'ftp://example.com' })).toThrow(ConnectorParamsError);
    expect(() => createGithubConnector({ baseUrl: 'ftp://example.com' })).toThrow('github: baseUrl "ftp://example.com" is not an http(s) URL');
    expect(() => createGithubConnector({ perPage: 101 })).toThrow('github: perPage must be an integer from 1 to 100, got 101');
    expect(() => createGithubConnector({ maxFileBytes: 0 })).toThrow(expect.objectContaining({ kind: 'run-fatal', name: 'ConnectorParamsError' }));
  });
});
