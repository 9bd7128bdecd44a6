import { afterEach, describe, expect, it } from 'vitest';
import { createGithubConnector } from '../connectors/github/index.js';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { generateRepo, startFakeGitHub, type FakeGitHub, type FakeGitHubStats } from '../src/testing/github-server.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { waitForRun } from './support/wait.js';

let sluice: Sluice | undefined;
let server: FakeGitHub | undefined;
let prefix = '';
afterEach(async () => {
  await sluice?.close();
  await server?.close();
  sluice = undefined;
  server = undefined;
  await deletePrefix(prefix);
});

async function start(repos: string[]): Promise<Sluice> {
  server = await startFakeGitHub({
    tokens: ['t0k'],
    repos: [
      {
        owner: 'acme',
        name: 'app',
        files: [
          { path: 'README.md', content: '# app' },
          { path: 'src/a.ts', content: 'export const a = 1;' },
          { path: 'src/b.ts', content: 'export const b = 2;' },
        ],
      },
    ],
  });
  prefix = uniquePrefix('gh-del');
  const github = createGithubConnector({ baseUrl: server.url, retry: { retries: 0, baseDelayMs: 1 } });
  const pipeline = definePipeline({ id: 'gh-files', source: github.files({ repos }) });
  sluice = createSluice(defineConfig({ prefix, pipelines: [pipeline], credentials: () => ({ token: 't0k' }), progress: { intervalMs: 10 } }));
  sluice.startWorker({ concurrency: 2 });
  return sluice;
}

const ids = async (s: Sluice) => (await s.documents('gh-files', 'ada')).map((d) => d.id).sort();
const run = async (s: Sluice) => waitForRun(s, 'ada', (await s.startRun('gh-files', { userId: 'ada' })).runId);

describe('GitHub files re-sync', () => {
  it('a file deleted from the repository loses its documents; unchanged files stay', async () => {
    const s = await start(['acme/app']);
    expect((await run(s)).counts).toMatchObject({ written: 3, failed: 0 });
    expect(await ids(s)).toEqual(['file:acme/app:README.md', 'file:acme/app:src/a.ts', 'file:acme/app:src/b.ts']);

    server!.repo('acme/app').deleteFile('src/b.ts');
    const done = await run(s);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ written: 0, failed: 0, deleted: 1 });
    expect(await ids(s)).toEqual(['file:acme/app:README.md', 'file:acme/app:src/a.ts']);

    // Unchanged again: the tree is a 304, every file an unchanged id, nothing deleted.
    expect((await run(s)).counts.deleted).toBeUndefined();
    expect(await ids(s)).toEqual(['file:acme/app:README.md', 'file:acme/app:src/a.ts']);
  });

  it('a listing where one repository is missing deletes nothing', async () => {
    const s = await start(['acme/app', 'acme/gone']);
    expect((await run(s)).counts).toMatchObject({ written: 3, failed: 1 });
    server!.repo('acme/app').deleteFile('src/b.ts');
    const done = await run(s);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ failed: 1 });
    expect(done.counts.deleted).toBeUndefined();
    expect(await ids(s)).toHaveLength(3);
  });
});

interface Setup {
  issues: number;
  pulls: number;
  commentsPerIssue: number;
  perPage: number;
  repos: string[];
}

async function startThreads(setup: Setup): Promise<Sluice> {
  server = await startFakeGitHub({
    tokens: ['t0k'],
    rateLimit: 1_000_000,
    repos: [generateRepo({ owner: 'acme', name: 'app', files: 1, issues: setup.issues, pulls: setup.pulls, commentsPerIssue: setup.commentsPerIssue, seed: 7 })],
  });
  prefix = uniquePrefix('gh-threads');
  const github = createGithubConnector({ baseUrl: server.url, perPage: setup.perPage, retry: { retries: 0, baseDelayMs: 1 } });
  const pipelines = [
    definePipeline({ id: 'gh-issues', source: github.issues({ repos: setup.repos }) }),
    definePipeline({ id: 'gh-pulls', source: github.pulls({ repos: setup.repos }) }),
  ];
  sluice = createSluice(defineConfig({ prefix, pipelines, credentials: () => ({ token: 't0k' }), progress: { intervalMs: 10 } }));
  sluice.startWorker({ concurrency: 2 });
  return sluice;
}

const runOf = async (s: Sluice, pipeline: string) => waitForRun(s, 'ada', (await s.startRun(pipeline, { userId: 'ada' })).runId);
const idsOf = async (s: Sluice, pipeline: string) => (await s.documents(pipeline, 'ada')).map((d) => d.id);
/** Statuses the server answered on one route, e.g. { 304: 3 }. */
function statuses(stats: FakeGitHubStats, route: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const entry of stats.log) if (entry.route === route) out[entry.status] = (out[entry.status] ?? 0) + 1;
  return out;
}

describe('GitHub issues and pull requests re-sync', () => {
  it('removes a deleted issue and a deleted pull request; an unchanged re-sync deletes nothing and its issue pages are all 304', async () => {
    const s = await startThreads({ issues: 60, pulls: 10, commentsPerIssue: 1, perPage: 20, repos: ['acme/app'] });
    const gh = server!;
    expect((await runOf(s, 'gh-issues')).counts).toMatchObject({ written: 60, failed: 0 });
    expect((await runOf(s, 'gh-pulls')).counts).toMatchObject({ written: 10, failed: 0 });

    gh.stats.reset();
    const unchangedIssues = await runOf(s, 'gh-issues');
    const unchangedPulls = await runOf(s, 'gh-pulls');
    expect(unchangedIssues.status).toBe('completed');
    expect(unchangedIssues.counts).toMatchObject({ written: 0, failed: 0 });
    expect(unchangedIssues.counts.deleted).toBeUndefined();
    expect(unchangedPulls.counts).toMatchObject({ written: 0, failed: 0 });
    expect(unchangedPulls.counts.deleted).toBeUndefined();
    // 70 items, 20 a page: 4 issue pages and 1 pull page, each a 304; no thread read; one comment listing (a new `since`).
    expect(statuses(gh.stats, 'issues')).toEqual({ 304: 4 });
    expect(statuses(gh.stats, 'pulls')).toEqual({ 304: 1 });
    expect(statuses(gh.stats, 'issue-comments')).toEqual({});
    expect(statuses(gh.stats, 'repo-comments')).toEqual({ 200: 1 });
    expect(gh.stats.charged).toBe(1);
    expect(await idsOf(s, 'gh-issues')).toHaveLength(60);

    const repo = gh.repo('acme/app');
    const issue = repo.issueNumbers()[10]!;
    const pull = repo.pullNumbers()[3]!;
    repo.deleteIssue(issue);
    repo.deletePull(pull);
    gh.stats.reset();
    const afterIssue = await runOf(s, 'gh-issues');
    const afterPull = await runOf(s, 'gh-pulls');
    expect(afterIssue.status).toBe('completed');
    expect(afterIssue.counts).toMatchObject({ written: 0, failed: 0, deleted: 1 });
    expect(afterPull.counts).toMatchObject({ written: 0, failed: 0, deleted: 1 });
    expect(await idsOf(s, 'gh-issues')).not.toContain(`issue:acme/app#${issue}`);
    expect(await idsOf(s, 'gh-issues')).toHaveLength(59);
    expect(await idsOf(s, 'gh-pulls')).not.toContain(`pull:acme/app#${pull}`);
    expect(await idsOf(s, 'gh-pulls')).toHaveLength(9);
    // The pages after the deleted items shifted, so they answer 200; no thread is read again for it.
    expect(statuses(gh.stats, 'issue-comments')).toEqual({});
  });

  it('a repository that answers 404 keeps the listing from deleting anything', async () => {
    const s = await startThreads({ issues: 12, pulls: 3, commentsPerIssue: 1, perPage: 100, repos: ['acme/app', 'acme/gone'] });
    expect((await runOf(s, 'gh-issues')).counts).toMatchObject({ written: 12, failed: 1 });
    expect((await runOf(s, 'gh-pulls')).counts).toMatchObject({ written: 3, failed: 1 });
    const repo = server!.repo('acme/app');
    repo.deleteIssue(repo.issueNumbers()[0]!);
    repo.deletePull(repo.pullNumbers()[0]!);
    const issues = await runOf(s, 'gh-issues');
    const pulls = await runOf(s, 'gh-pulls');
    expect(issues.status).toBe('completed');
    expect(issues.counts).toMatchObject({ failed: 1 });
    expect(issues.counts.deleted).toBeUndefined();
    expect(pulls.counts).toMatchObject({ failed: 1 });
    expect(pulls.counts.deleted).toBeUndefined();
    expect(await idsOf(s, 'gh-issues')).toHaveLength(12);
    expect(await idsOf(s, 'gh-pulls')).toHaveLength(3);
  });
});
