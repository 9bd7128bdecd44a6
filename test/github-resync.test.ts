import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SourceRateLimitError } from '../src/connector/index.js';
import { createGithubConnector } from '../connectors/github/index.js';
import { API, APP_SHA, MemoryState, appBlobs, failuresOf, fixture, makeContext, readAll, recordsOf, rejection } from '../connectors/github/fixtures/harness.js';
import type { Page } from '../src/connector/index.js';

const SHA = APP_SHA;
const appRepo = fixture<Record<string, unknown>[]>('user-repos')[0]!;
const treeApp = fixture<{ sha: string; truncated: boolean; tree: Record<string, unknown>[] }>('tree-app');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Counts the requests a scope answered, 304s apart. */
function counter(scope: nock.Scope) {
  const counts = { requests: 0 };
  scope.on('request', () => counts.requests++);
  return counts;
}

/** The newest watermark of a run: what the runtime passes as `since` to the next run once this one completed. */
const sinceAfter = (pages: Page<unknown>[]) => pages.map((page) => page.watermark).filter(Boolean).sort().at(-1);

function firstSync(scope: nock.Scope, tree = treeApp): nock.Scope {
  scope
    .get('/repos/acme/app')
    .reply(200, appRepo, { etag: '"repo-1"' })
    .get('/repos/acme/app/git/trees/main')
    .query({ recursive: '1' })
    .reply(200, tree, { etag: '"tree-1"' });
  return appBlobs(scope);
}

describe('github.files re-sync', () => {
  it('an unchanged repository costs two 304s and no blob', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    const first = counter(firstSync(nock(API)));
    const run1 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state }));
    expect(first.requests).toBe(6);
    expect(recordsOf(run1).map((record) => record.id)).toEqual(['file:acme/app:README.md', 'file:acme/app:src/index.ts']);

    // No blob interceptor: fetching any blob fails the read.
    const scope = nock(API)
      .get('/repos/acme/app')
      .matchHeader('if-none-match', '"repo-1"')
      .reply(304)
      .get('/repos/acme/app/git/trees/main')
      .query({ recursive: '1' })
      .matchHeader('if-none-match', '"tree-1"')
      .reply(304);
    const second = counter(scope);
    const run2 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since: sinceAfter(run1) }));
    scope.done();
    expect(second.requests).toBe(2);
    expect(recordsOf(run2)).toEqual([]);
    expect(run2).toEqual([
      {
        records: [],
        unchanged: 2,
        unchangedIds: ['file:acme/app:README.md', 'file:acme/app:src/index.ts'],
        // This run's own start (to the second): once it completes, the next `since`.
        watermark: expect.stringMatching(/Z$/),
      },
    ]);
  });

  it('slices read in parallel each keep what they delivered: the re-sync fetches no blob', async () => {
    const { files } = createGithubConnector({ perPage: 1, retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    const context = makeContext({ repos: ['acme/app'] }, { state });
    firstSync(nock(API));
    const listed = await files.read(context, undefined);
    // 4 candidate files, one per slice: the first is the next page, the other three are forks.
    expect(listed.fork).toHaveLength(3);
    const slices = await Promise.all([listed.nextCursor!, ...listed.fork!].map((cursor) => files.read(context, cursor)));
    expect(slices.every((slice) => slice.nextCursor === undefined && slice.fork === undefined)).toBe(true);
    expect(recordsOf(slices).map((record) => record.id).sort()).toEqual(['file:acme/app:README.md', 'file:acme/app:src/index.ts']);

    nock(API)
      .get('/repos/acme/app')
      .reply(304)
      .get('/repos/acme/app/git/trees/main')
      .query({ recursive: '1' })
      .reply(304);
    const run2 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since: sinceAfter([listed, ...slices]) }));
    expect(recordsOf(run2)).toEqual([]);
    expect(run2).toHaveLength(1);
    expect(run2[0]!.unchanged).toBe(2);
  });

  it('a changed tree downloads only the blobs whose sha changed', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    firstSync(nock(API));
    const run1 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state }));

    const NEW_INDEX = '1111111111111111111111111111111111111111';
    const tree = {
      ...treeApp,
      sha: 'abababababababababababababababababababab',
      tree: treeApp.tree.map((item) => (item.path === 'src/index.ts' ? { ...item, sha: NEW_INDEX } : item)),
    };
    const scope = nock(API)
      .get('/repos/acme/app')
      .reply(304)
      .get('/repos/acme/app/git/trees/main')
      .query({ recursive: '1' })
      .reply(200, tree, { etag: '"tree-2"' })
      .get(`/repos/acme/app/git/blobs/${NEW_INDEX}`)
      .reply(200, { sha: NEW_INDEX, size: 7, encoding: 'utf-8', content: 'changed' });
    const requests = counter(scope);
    const run2 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since: sinceAfter(run1) }));
    scope.done();
    expect(requests.requests).toBe(3);
    expect(recordsOf(run2).map((record) => [record.id, record.data.text])).toEqual([['file:acme/app:src/index.ts', 'changed']]);
    expect(run2.reduce((sum, page) => sum + (page.unchanged ?? 0), 0)).toBe(1);
  });

  it('what a failed run delivered is not trusted: the next run reads those blobs again', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    // Runs a minute apart: stamps are to the second.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.parse('2024-06-01T10:00:00Z'));
      firstSync(nock(API));
      const afterRun1 = sinceAfter(await readAll(files, makeContext({ repos: ['acme/app'] }, { state })));

      // Run 2 reads a changed README, then fails: its watermark never becomes `since`.
      vi.setSystemTime(Date.parse('2024-06-01T10:01:00Z'));
      const NEW_README = '2222222222222222222222222222222222222222';
      const changed = { ...treeApp, sha: 'efefefefefefefefefefefefefefefefefefefef', tree: treeApp.tree.map((item) => (item.path === 'README.md' ? { ...item, sha: NEW_README } : item)) };
      const blob = { sha: NEW_README, size: 3, encoding: 'utf-8', content: 'new' };
      nock(API).get('/repos/acme/app').reply(304).get('/repos/acme/app/git/trees/main').query({ recursive: '1' }).reply(200, changed, { etag: '"tree-2"' }).get(`/repos/acme/app/git/blobs/${NEW_README}`).reply(200, blob);
      expect(recordsOf(await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since: afterRun1 }))).map((r) => r.data.text)).toEqual(['new']);

      // Run 3 starts from run 1's watermark: the README is delivered again, the untouched file is not.
      vi.setSystemTime(Date.parse('2024-06-01T10:02:00Z'));
      const scope = nock(API).get('/repos/acme/app').reply(304).get('/repos/acme/app/git/trees/main').query({ recursive: '1' }).reply(304).get(`/repos/acme/app/git/blobs/${NEW_README}`).reply(200, blob);
      const run3 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since: afterRun1 }));
      scope.done();
      expect(recordsOf(run3).map((record) => record.id)).toEqual(['file:acme/app:README.md']);
      expect(run3.flatMap((page) => page.unchangedIds ?? [])).toEqual(['file:acme/app:src/index.ts']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a deleted path is forgotten, so restoring it unchanged reads it again', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    firstSync(nock(API));
    const since = sinceAfter(await readAll(files, makeContext({ repos: ['acme/app'] }, { state })));

    const withoutReadme = { ...treeApp, sha: 'cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd', tree: treeApp.tree.filter((item) => item.path !== 'README.md') };
    nock(API).get('/repos/acme/app').reply(304).get('/repos/acme/app/git/trees/main').query({ recursive: '1' }).reply(200, withoutReadme, { etag: '"tree-2"' });
    await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since }));

    const scope = nock(API)
      .get('/repos/acme/app')
      .reply(304)
      .get('/repos/acme/app/git/trees/main')
      .query({ recursive: '1' })
      .reply(200, treeApp, { etag: '"tree-3"' })
      .get(`/repos/acme/app/git/blobs/${SHA.readme}`)
      .reply(200, fixture('blob-README.md'));
    const run3 = await readAll(files, makeContext({ repos: ['acme/app'] }, { state, since }));
    scope.done();
    expect(recordsOf(run3).map((record) => record.id)).toEqual(['file:acme/app:README.md']);
  });
});

describe('rate limits inside a page', () => {
  const names = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
  const sha = (name: string) => name.padEnd(40, '0');
  const tree = { sha: 'eeee', truncated: false, tree: names.map((name) => ({ path: `${name}.txt`, mode: '100644', type: 'blob', sha: sha(name), size: 2 })) };
  const blob = (name: string) => ({ sha: sha(name), size: 2, encoding: 'utf-8', content: name });
  const spent = (reset: number) => ({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' });

  it('keeps the files read before the limit, resumes after them, and sends nothing once remaining is 0', async () => {
    const state = new MemoryState();
    const context = makeContext({ repos: ['acme/app'] }, { state });
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    nock(API).get('/repos/acme/app').reply(200, appRepo).get('/repos/acme/app/git/trees/main').query({ recursive: '1' }).reply(200, tree);
    const listed = await files.read(context, undefined);

    // Four requests are in flight at once. The first answer spends the budget; the others are refused.
    // f5 and f6 have no interceptor: sending either would fail the read with a network error.
    const reset = Math.floor(Date.now() / 1000) + 60;
    const scope = nock(API)
      .get(`/repos/acme/app/git/blobs/${sha('f1')}`)
      .reply(200, blob('f1'), spent(reset))
      .get(new RegExp(`/repos/acme/app/git/blobs/(${sha('f2')}|${sha('f3')}|${sha('f4')})`))
      .times(3)
      .reply(403, fixture('error-rate-limit'), spent(reset));
    const page = await files.read(context, listed.nextCursor);
    scope.done();
    expect(page.records.map((record) => record.id)).toEqual(['file:acme/app:f1.txt']);
    expect(page.nextCursor).toBeDefined();

    // The same process: refused before sending, until the reset.
    const before = Date.now();
    const refused = await rejection(files.read(context, page.nextCursor));
    expect(refused).toBeInstanceOf(SourceRateLimitError);
    const waitMs = (refused as SourceRateLimitError).retryAfterMs;
    expect(waitMs).toBeGreaterThan(reset * 1000 - Date.now());
    expect(waitMs).toBeLessThanOrEqual(reset * 1000 + 1000 - before);

    // After the reset (a fresh process here): the cursor resumes at f2.
    const later = createGithubConnector({ retry: { retries: 0 } }).streams.files;
    const resumed = nock(API);
    for (const name of names.slice(1)) resumed.get(`/repos/acme/app/git/blobs/${sha(name)}`).reply(200, blob(name));
    const final = await later.read(context, page.nextCursor);
    resumed.done();
    expect(final.records.map((record) => record.data.text)).toEqual(['f2', 'f3', 'f4', 'f5', 'f6']);
    expect(final.nextCursor).toBeUndefined();
    expect(failuresOf([page, final])).toEqual([]);
  });
});

describe('github.issues re-sync', () => {
  const listQuery = { state: 'all', sort: 'created', direction: 'asc', per_page: '100' };
  const SINCE = '2024-05-10T00:00:00Z';
  const [i42, pr41] = fixture<Record<string, unknown>[]>('issues-page-1');
  const [i39] = fixture<Record<string, unknown>[]>('issues-page-2');
  const c42 = fixture<Record<string, unknown>[]>('issue-42-comments');
  const c39 = fixture<Record<string, unknown>[]>('issue-39-comments');
  const edited = (comment: Record<string, unknown>, body: string) => ({ ...comment, body, updated_at: '2024-05-11T09:00:00Z' });

  it('an edited comment re-reads its thread; the thread read whole drops a deleted comment', async () => {
    const { issues } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    // Run 1 starts a little after SINCE: its start, less the clock margin, is the next run's `since`.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse(SINCE) + 5 * 60_000);
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, [i42, i39])
      .get('/repos/acme/app/issues/42/comments')
      .query({ per_page: '100' })
      .reply(200, c42)
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(200, c39);
    const run1Pages = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state }));
    expect(sinceAfter(run1Pages)).toBe(SINCE);
    const run1 = recordsOf(run1Pages);
    expect(run1.map((record) => [record.id, record.data.comments.length])).toEqual([['issue:acme/app#42', 2], ['issue:acme/app#39', 1]]);

    // Nothing updated an issue. On #42 comment 1901 was edited and 1902 deleted; on the PR #41 a comment was edited.
    const pullComment = { ...c42[0], issue_url: `${API}/repos/acme/app/issues/41`, created_at: '2024-05-02T09:00:00Z' };
    // The whole listing again: both issues as run 1 delivered them, so neither thread is read for it.
    vi.setSystemTime(Date.parse('2024-05-12T00:00:00Z'));
    const scope = nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, [i42, i39])
      .get('/repos/acme/app/issues/comments')
      .query({ since: SINCE, sort: 'updated', direction: 'asc', per_page: '100' })
      .reply(200, [edited(c42[0]!, 'Reproduced on staging and prod.'), edited(pullComment, 'LGTM')])
      .get('/repos/acme/app/issues/42')
      .reply(200, i42)
      .get('/repos/acme/app/issues/42/comments')
      .query({ per_page: '100' })
      .reply(200, [edited(c42[0]!, 'Reproduced on staging and prod.')])
      .get('/repos/acme/app/issues/41')
      .reply(200, pr41);
    const pages = await readAll(issues, makeContext({ repos: ['acme/app'] }, { state, since: SINCE }));
    vi.useRealTimers();
    scope.done();
    expect(pages[0]!.unchangedIds).toEqual(['issue:acme/app#42', 'issue:acme/app#39']);
    const run2 = recordsOf(pages);
    expect(run2.map((record) => [record.id, record.data.comments])).toEqual([
      ['issue:acme/app#42', [{ author: 'hubot', body: 'Reproduced on staging and prod.', createdAt: '2024-05-02T08:00:00Z' }]],
    ]);
    expect(run2[0]!.hash).not.toBe(run1[0]!.hash);
    // The watermark moves to the last edit, so the next sync does not read this thread again.
    expect(pages.at(-1)!.watermark).toBe('2024-05-11T09:00:00Z');
  });

  it('a rate limit among the threads of a page keeps the issues read before it, and resumes after them', async () => {
    const { issues } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    const context = makeContext({ repos: ['acme/app'] }, { state });
    const reset = Math.floor(Date.now() / 1000) + 60;
    const i40 = fixture<Record<string, unknown>[]>('issues-page-1')[2]!;
    // #40 has no comments (no request); #42's thread answers with the last request of the budget; #39's is refused.
    nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, [i40, i42, i39])
      .get('/repos/acme/app/issues/42/comments')
      .query({ per_page: '100' })
      .reply(200, c42, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) })
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .optionally()
      .reply(403, fixture('error-rate-limit'), { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
    const page = await issues.read(context, undefined);
    expect(page.records.map((record) => record.id)).toEqual(['issue:acme/app#40', 'issue:acme/app#42']);
    expect([...state.values.keys()].filter((key) => key.startsWith('etag:'))).toEqual([]); // the page's ETag is not kept: it was cut short

    const later = createGithubConnector({ retry: { retries: 0 } }).streams.issues;
    const scope = nock(API)
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, [i40, i42, i39])
      .get('/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(200, c39);
    const rest = await later.read(context, page.nextCursor);
    scope.done();
    expect(rest.records.map((record) => record.id)).toEqual(['issue:acme/app#39']);
    expect(rest.nextCursor).toBeUndefined();
  });
});
