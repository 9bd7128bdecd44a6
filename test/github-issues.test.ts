import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGithubConnector, type GithubIssue } from '../connectors/github/index.js';
import type { Page } from '../src/connector/index.js';
import { API, MemoryState, failuresOf, fixture, makeContext, readAll, recordsOf } from '../connectors/github/fixtures/harness.js';

const connector = createGithubConnector({ perPage: 3, retry: { retries: 0, baseDelayMs: 1 } });
const { issues, pulls } = connector.streams;

const SINCE = '2024-03-01T00:00:00Z';
const listQuery = { state: 'all', sort: 'created', direction: 'asc', per_page: '3' };
const pullsQuery = listQuery;

/** A Link header as GitHub writes it: pages of /repositories/{id}/issues, not of the URL we asked for. */
function issuesLink(rels: Record<string, number>): string {
  return Object.entries(rels)
    .map(([rel, page]) => `<${API}/repositories/1296269/issues?state=all&sort=created&direction=asc&per_page=3&page=${page}>; rel="${rel}"`)
    .join(', ');
}
const pageQuery = (page: number) => ({ ...listQuery, page: String(page) });
/** The newest watermark of a run: what the runtime passes as `since` to the next run once this one completed. */
const sinceAfter = (pages: Page<unknown>[]) => pages.map((page) => page.watermark).filter(Boolean).sort().at(-1);
/** The repo-wide comment listing read after the issues on incremental syncs, for edited comments. */
const editsQuery = { since: SINCE, sort: 'updated', direction: 'asc', per_page: '3' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('github.issues', () => {
  it('follows Link headers over 3 pages, drops pull requests, attaches comments, stamps pages with the start of the run', async () => {
    const scope = nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-1'), { link: issuesLink({ next: 2, last: 3 }) })
      .get('/repositories/1296269/issues')
      .query(pageQuery(2))
      .reply(200, fixture('issues-page-2'), { link: issuesLink({ prev: 1, next: 3, last: 3, first: 1 }) })
      .get('/repositories/1296269/issues')
      .query(pageQuery(3))
      .reply(200, fixture('issues-page-3'), { link: issuesLink({ prev: 2, first: 1 }) })
      // Only issues with comments > 0 cost a request; the PR (#41) has one but is never looked at.
      .get('/repos/acme/app/issues/42/comments')
      .query({ per_page: '100' })
      .reply(200, fixture('issue-42-comments'))
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(200, fixture('issue-39-comments'))
      .get('/repos/acme/app/issues/comments')
      .query(editsQuery)
      .reply(200, []);

    const context = makeContext({ repos: ['acme/app'] }, { since: SINCE });
    const pages = await readAll(issues, context);
    scope.done();

    // Three pages of issues, then the comment listing (no edits).
    expect(pages).toHaveLength(4);
    const records = recordsOf(pages);
    expect(records.map((record) => record.id)).toEqual(['issue:acme/app#42', 'issue:acme/app#40', 'issue:acme/app#39', 'issue:acme/app#38', 'issue:acme/app#37']);

    const first = records[0]!.data;
    expect(first).toMatchObject({
      repo: 'acme/app',
      number: 42,
      title: 'Login fails with SSO enabled',
      state: 'open',
      labels: ['bug'],
      author: 'octocat',
      createdAt: '2024-05-01T12:00:00Z',
      updatedAt: '2024-05-03T10:00:00Z',
    });
    expect(first.comments).toEqual([
      { author: 'hubot', body: 'I can reproduce this on staging.', createdAt: '2024-05-02T08:00:00Z' },
      { author: 'octocat', body: 'Fixed in #41, needs review.', createdAt: '2024-05-03T10:00:00Z' },
    ]);
    // Deleted accounts and empty bodies come through as null author / empty text.
    expect(records[1]!.data).toMatchObject({ author: null, body: '', comments: [] });
    expect(records[2]!.data.comments).toEqual([{ author: null, body: '+1, my eyes hurt', createdAt: '2024-04-30T16:45:00Z' }]);

    // Every listing page is stamped with the run's start (capped, see below); the empty comment listing has none.
    const [w1, w2, w3, w4] = pages.map((page) => page.watermark);
    expect(w1).toMatch(/Z$/);
    expect([w2, w3, w4]).toEqual([w1, w1, undefined]);
    expect(Date.parse(w1!)).toBeLessThanOrEqual(Date.now() - 4 * 60_000);
    expect(failuresOf(pages)).toEqual([]);
  });

  it('caps the watermark a few minutes before the run began, so items updated during the run are read again next time', async () => {
    const [issue] = fixture<Record<string, unknown>[]>('issues-page-3');
    const justNow = new Date().toISOString();
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, [{ ...issue, updated_at: justNow }]);
    const [page] = await readAll(issues, makeContext({ repos: ['acme/app'] }));
    expect(page!.records[0]!.data.updatedAt).toBe(justNow);
    expect(Date.parse(page!.watermark!)).toBeLessThanOrEqual(Date.now() - 4 * 60_000);
  });

  it('gives stable ids and hashes: the same issue read twice hashes the same', async () => {
    const reply = () =>
      nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, fixture('issues-page-3'));
    reply();
    const [a] = recordsOf(await readAll(issues, makeContext({ repos: ['acme/app'] })));
    reply();
    const [b] = recordsOf(await readAll(issues, makeContext({ repos: ['acme/app'] })));
    expect(a!.id).toBe('issue:acme/app#37');
    expect(a!.hash).toBe(b!.hash);
    expect(a!.hash).toMatch(/^[\w-]{22}$/);
  });

  it('sends If-None-Match on the next sync; a 304 yields no records and the earlier count as unchanged', async () => {
    const state = new MemoryState();
    const etag = 'W/"4f0c0a1b2c3d4e5f"';
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-2'), { etag })
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(200, fixture('issue-39-comments'));
    const first = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state }));
    expect(recordsOf(first)).toHaveLength(2);

    const since = sinceAfter(first);
    const conditional = nock(API, { reqheaders: { 'if-none-match': etag } }).get('/repos/acme/app/issues').query(listQuery).reply(304, '', { etag });
    // Then the comment listing, for comments edited since the first sync: none.
    const edits = nock(API).get('/repos/acme/app/issues/comments').query({ ...editsQuery, since }).reply(200, []);
    const second = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state, since }));
    conditional.done();
    edits.done();
    // The watermark is this run's start (less the clock margin): at or after the previous one.
    expect(second).toEqual([{ records: [], unchanged: 2, unchangedIds: ['issue:acme/app#39', 'issue:acme/app#38'], watermark: expect.any(String), nextCursor: expect.any(String) }, { records: [] }]);
    expect(Date.parse(second[0]!.watermark!)).toBeGreaterThanOrEqual(Date.parse(since!));
  });

  it('after a 304 still walks on to the next page it stored', async () => {
    const state = new MemoryState();
    const link = issuesLink({ next: 2, last: 2 });
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-3'), { etag: '"p1"', link })
      .get('/repositories/1296269/issues')
      .query(pageQuery(2))
      .reply(200, [], { etag: '"p2"' })
      .get('/repos/acme/app/issues/comments')
      .query(editsQuery)
      .reply(200, [], { etag: '"c1"' });
    const since = sinceAfter(await readAll(issues, makeContext({ repos: ['acme/app'] }, { state, since: SINCE })));

    const scope = nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .matchHeader('if-none-match', '"p1"')
      .reply(304)
      .get('/repositories/1296269/issues')
      .query(pageQuery(2))
      .matchHeader('if-none-match', '"p2"')
      .reply(304)
      // A new `since`: the comment listing is another URL, asked unconditionally.
      .get('/repos/acme/app/issues/comments')
      .query({ ...editsQuery, since })
      .reply(200, []);
    const pages = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state, since }));
    scope.done();
    expect(pages.map((page) => page.unchanged ?? 0)).toEqual([1, 0, 0]);
    expect(recordsOf(pages)).toEqual([]);
  });

  it('does not remember the ETag of a page that had a failure, so the next sync reads it again', async () => {
    const state = new MemoryState();
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-2'), { etag: '"e1"' })
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(404, fixture('error-not-found'));
    const pages = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state }));
    expect(recordsOf(pages).map((record) => record.id)).toEqual(['issue:acme/app#38']);
    expect(failuresOf(pages)).toEqual([{ id: 'issue:acme/app#39', reason: expect.stringContaining('404') }]);
    expect([...state.values.keys()].filter((key) => key.startsWith('etag:'))).toEqual([]);
  });

  it('skips comments when asked to', async () => {
    nock(API).get('/repos/acme/app/issues').query(listQuery).reply(200, fixture('issues-page-2'));
    const records = recordsOf(await readAll(issues, makeContext({ repos: ['acme/app'], comments: false })));
    expect(records.map((record) => (record.data as GithubIssue).comments)).toEqual([[], []]);
  });
});

describe('github.pulls', () => {
  it('maps merged from merged_at, and lists every page whatever since is (a full listing)', async () => {
    const since = '2024-04-10T00:00:00Z';
    const scope = nock(API)
      .get('/repos/acme/app/pulls')
      .query(pullsQuery)
      .reply(200, fixture('pulls'), { link: `<${API}/repositories/1296269/pulls?state=all&sort=created&direction=asc&per_page=3&page=2>; rel="next"` })
      .get('/repositories/1296269/pulls')
      .query({ ...pullsQuery, page: '2' })
      .reply(200, []);
    const pages = await readAll(pulls, makeContext({ repos: ['acme/app'] }, { since }));
    scope.done();
    expect(pages).toHaveLength(2);
    expect(recordsOf(pages).map((record) => [record.id, record.data.merged, record.data.author])).toEqual([
      ['pull:acme/app#41', false, 'hubot'],
      ['pull:acme/app#36', true, 'dependabot[bot]'],
      ['pull:acme/app#35', false, 'monalisa'],
    ]);
    expect(Date.parse(pages[0]!.watermark!)).toBeLessThanOrEqual(Date.now() - 4 * 60_000);
  });

  it('shares the ETag handling of issues', async () => {
    const state = new MemoryState();
    nock(API).get('/repos/acme/app/pulls').query(pullsQuery).reply(200, fixture('pulls'), { etag: '"pl"' });
    const since = sinceAfter(await readAll(pulls, makeContext({ repos: ['acme/app'] }, { state })));
    const scope = nock(API).get('/repos/acme/app/pulls').query(pullsQuery).matchHeader('if-none-match', '"pl"').reply(304);
    const pages = await readAll(pulls, makeContext({ repos: ['acme/app'] }, { state, since }));
    scope.done();
    expect(pages).toEqual([{ records: [], unchanged: 3, unchangedIds: ['pull:acme/app#41', 'pull:acme/app#36', 'pull:acme/app#35'], watermark: expect.any(String) }]);
    expect(Date.parse(pages[0]!.watermark!)).toBeGreaterThanOrEqual(Date.parse(since!));
  });
});
