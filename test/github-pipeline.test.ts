import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGithubConnector } from '../connectors/github/index.js';
import { fixture } from '../connectors/github/fixtures/harness.js';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { waitForRun } from './support/wait.js';

const API = 'https://api.github.test';
const listQuery = { state: 'all', sort: 'created', direction: 'asc', per_page: '100' };

let sluice: Sluice | undefined;
let prefix = '';
const tokensSeen: string[] = [];

function start(attempts = 3): Sluice {
  prefix = uniquePrefix('gh-run');
  const github = createGithubConnector({ baseUrl: API, retry: { retries: 0, baseDelayMs: 1 } });
  const pipeline = definePipeline({
    id: 'gh-issues',
    source: github.issues({ comments: false }),
    retries: { attempts, backoffMs: 10 },
    steps: (records) => records.map((issue) => ({ title: issue.title, repo: issue.repo })),
  });
  sluice = createSluice(
    defineConfig({
      prefix,
      pipelines: [pipeline],
      // Each user has their own token; the provider is asked at run time, never stored.
      credentials: ({ userId }) => ({ token: `token-of-${userId}` }),
      progress: { intervalMs: 10 },
    }),
  );
  sluice.startWorker({ concurrency: 2 });
  return sluice;
}

beforeAll(() => nock.disableNetConnect());
afterEach(async () => {
  nock.cleanAll();
  tokensSeen.length = 0;
  await sluice?.close();
  sluice = undefined;
  await deletePrefix(prefix);
});
afterAll(() => nock.enableNetConnect());

const issuesOf = (repo: string) => nock(API).get(`/repos/${repo}/issues`).query(listQuery);

describe('GitHub pipeline runs', () => {
  it('ingests issues of the repos in the run input; a missing repository fails that repository, not the run', async () => {
    const s = start();
    const scope = nock(API, { reqheaders: { authorization: (value) => (tokensSeen.push(value), true) } })
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-3'))
      .get('/repos/acme/gone/issues')
      .query(listQuery)
      .reply(404, fixture('error-not-found'));
    const { runId } = await s.startRun('gh-issues', { userId: 'u7', input: { repos: ['acme/app', 'acme/gone'] } });
    const run = await waitForRun(s, 'u7', runId);
    scope.done();
    const issues = (fixture('issues-page-3') as { pull_request?: unknown }[]).filter((i) => !i.pull_request);
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ processed: issues.length, failed: 1 });
    expect(await s.documents('gh-issues', 'u7')).toHaveLength(issues.length);
    const failed = (await s.events('u7')).find((e) => e.type === 'item.failed');
    expect(failed && failed.type === 'item.failed' && failed.item).toEqual({
      id: 'acme/gone',
      reason: 'repository acme/gone not found, or not visible to this token (404)',
    });
    expect(new Set(tokensSeen)).toEqual(new Set(['token token-of-u7']));
    // The token never reaches Redis: not in job data, progress events or the snapshot.
    const events = JSON.stringify(await s.events('u7'));
    expect(events).not.toContain('token-of-u7');
  });

  it('a revoked token fails the run at once, without retries: one read with fresh credentials, then no more', async () => {
    const s = start(5);
    // The second 401 answers the read made with refreshed credentials.
    const scope = issuesOf('acme/app').twice().reply(401, fixture('error-bad-credentials'));
    const { runId } = await s.startRun('gh-issues', { userId: 'u8', input: { repos: ['acme/app'] } });
    const run = await waitForRun(s, 'u8', runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/401/);
    expect(scope.isDone()).toBe(true);
    // A retry would have made a third request, which nock refuses with a different error.
    expect(run.error).not.toMatch(/Nock/i);
  });

  it('a secondary rate limit puts the shard back in the queue without using an attempt', async () => {
    const s = start(1);
    const scope = issuesOf('acme/app')
      // Longer than the connector waits in-process (2 s): the shard must go back to the queue.
      .reply(403, fixture('error-secondary-rate-limit'), { 'retry-after': '3' })
      .get('/repos/acme/app/issues')
      .query(listQuery)
      .reply(200, fixture('issues-page-3'));
    const { runId } = await s.startRun('gh-issues', { userId: 'u9', input: { repos: ['acme/app'] } });
    const run = await waitForRun(s, 'u9', runId);
    scope.done();
    // With one attempt allowed, the run could only complete if the rate limit did not spend it.
    expect(run.status).toBe('completed');
    expect(run.counts.failed).toBe(0);
  });
});
