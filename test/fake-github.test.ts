/**
 * The fake GitHub server against the GitHub behaviours it claims to follow (docs/fake-github.md),
 * and the GitHub connector reading a generated repository from it end to end.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createGithubConnector, type GithubFile, type GithubIssue, type GithubPull } from '../connectors/github/index.js';
import { failuresOf, makeContext, readAll, recordsOf } from '../connectors/github/fixtures/harness.js';
import { hasBinaryExtension } from '../connectors/github/streams/files.js';
import { generateRepo, gitBlobSha, startFakeGitHub, type FakeGitHub, type FakeGitHubOptions, type RepoSeed } from '../src/testing/github-server.js';

const TOKEN = 't0k';
const auth = { authorization: `token ${TOKEN}` };
const T0 = Date.parse('2024-06-10T12:00:00Z');

let server: FakeGitHub | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server on a clock the test moves by hand. */
async function start(options: FakeGitHubOptions = {}) {
  const clock = { now: T0 };
  server = await startFakeGitHub({ tokens: [TOKEN], now: () => clock.now, ...options });
  return { gh: server, clock };
}

async function get(gh: FakeGitHub, path: string, headers: Record<string, string> = auth) {
  const response = await fetch(`${gh.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined };
}

function nextLink(link: string | null): string | undefined {
  return /<([^>]+)>;\s*rel="next"/.exec(link ?? '')?.[1];
}

const tiny: RepoSeed = {
  owner: 'acme',
  name: 'app',
  created_at: '2024-01-01T00:00:00Z',
  files: [
    { path: 'README.md', content: '# Acme app\n\nThe Acme web app.\n' },
    { path: 'src/index.ts', content: "export const greeting = 'hello';\n" },
  ],
  issues: [1, 2, 3, 4, 5].map((number) => ({
    number,
    title: `Issue ${number}`,
    body: `Body ${number}`,
    state: number === 2 ? ('closed' as const) : ('open' as const),
    user: 'octocat',
    created_at: `2024-05-0${number}T10:00:00Z`,
    updated_at: `2024-05-0${number}T12:00:00Z`,
    comments: number === 1 ? [{ user: 'hubot', body: 'First!', created_at: '2024-05-01T11:00:00Z' }] : [],
  })),
  pulls: [6, 7].map((number) => ({
    number,
    title: `Pull ${number}`,
    body: null,
    state: 'closed' as const,
    user: 'mona',
    created_at: `2024-05-0${number}T10:00:00Z`,
    updated_at: `2024-05-0${number}T12:00:00Z`,
    merged_at: `2024-05-0${number}T12:00:00Z`,
  })),
};

describe('fake GitHub: pagination and listings', () => {
  it('pages issues (pull requests included, with a pull_request key) through Link headers on /repositories/{id}', async () => {
    const { gh } = await start({ repos: [tiny] });
    const first = await get(gh, '/repos/acme/app/issues?state=all&sort=updated&direction=desc&per_page=3');
    expect(first.status).toBe(200);
    const link = first.headers.get('link') ?? '';
    expect(link).toContain(`/repositories/${gh.repo('acme/app').id}/issues?state=all&sort=updated&direction=desc&per_page=3&page=2>; rel="next"`);
    expect(link).toContain('page=3>; rel="last"');
    expect(link).not.toContain('rel="prev"');

    const numbers: number[] = [];
    let pullKeys = 0;
    let response = first;
    for (;;) {
      for (const item of response.body as { number: number; pull_request?: unknown }[]) {
        numbers.push(item.number);
        if (item.pull_request) pullKeys++;
      }
      const next = nextLink(response.headers.get('link'));
      if (!next) break;
      response = await get(gh, next.slice(gh.url.length));
    }
    expect(numbers).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(pullKeys).toBe(2);
    expect(response.headers.get('link')).toMatch(/rel="prev".*rel="first"/);

    // state defaults to open; per_page above 100 is capped at 100 (one page, no Link).
    const open = await get(gh, '/repos/acme/app/issues?per_page=500');
    expect((open.body as { number: number }[]).map((issue) => issue.number)).toEqual([5, 4, 3, 1]);
    expect(open.headers.get('link')).toBeNull();
  });

  it('filters issues and repository-wide comments with since = updated at or after', async () => {
    const { gh } = await start({ repos: [tiny] });
    const issues = await get(gh, `/repos/acme/app/issues?state=all&since=${encodeURIComponent('2024-05-04T12:00:00Z')}`);
    expect((issues.body as { number: number }[]).map((issue) => issue.number).sort()).toEqual([4, 5, 6, 7]);

    const all = await get(gh, '/repos/acme/app/issues/comments?sort=updated&direction=asc');
    expect((all.body as { body: string }[]).map((comment) => comment.body)).toEqual(['First!']);
    const none = await get(gh, `/repos/acme/app/issues/comments?since=${encodeURIComponent('2024-05-01T11:00:01Z')}`);
    expect(none.body).toEqual([]);
  });

  it('lists pulls (direction defaults to asc when sorting by updated, as GitHub documents)', async () => {
    const { gh } = await start({ repos: [tiny] });
    const pulls = await get(gh, '/repos/acme/app/pulls?state=all&sort=updated');
    expect((pulls.body as { number: number; merged_at: string | null }[]).map((pull) => [pull.number, pull.merged_at !== null])).toEqual([
      [6, true],
      [7, true],
    ]);
    expect((await get(gh, '/repos/acme/app/pulls')).body).toEqual([]); // state defaults to open
  });
});

describe('fake GitHub: git objects', () => {
  it('serves real git shas; a commit changes the tree sha, and old trees and blobs stay readable', async () => {
    const { gh } = await start({ repos: [tiny] });
    const repo = gh.repo('acme/app');
    // Checked against `git write-tree` and `git hash-object` for the same files.
    expect(repo.treeSha).toBe('5a5649dcf01cbc037f431bee25bcb686c43ff7fa');
    const tree = await get(gh, '/repos/acme/app/git/trees/main?recursive=1');
    expect((tree.body as { tree: unknown[] }).tree).toEqual([
      expect.objectContaining({ path: 'README.md', mode: '100644', type: 'blob', sha: '5ae9363f7e7d896c1a87d19245b078ee5fe594bd', size: 30 }),
      expect.objectContaining({ path: 'src', mode: '040000', type: 'tree', sha: '89133642e7629b19e31e910d592ff7c9b4831e67' }),
      expect.objectContaining({ path: 'src/index.ts', type: 'blob', sha: gitBlobSha("export const greeting = 'hello';\n") }),
    ]);
    // GitHub: any value of `recursive` recurses, 0 included; without it, the top level only.
    expect((await get(gh, '/repos/acme/app/git/trees/main?recursive=0')).body).toEqual(tree.body);
    expect(((await get(gh, '/repos/acme/app/git/trees/main')).body as { tree: unknown[] }).tree).toHaveLength(2);

    const oldTree = repo.treeSha as string;
    const sha = repo.writeFile('src/index.ts', "export const greeting = 'bonjour';\n");
    expect(repo.treeSha).not.toBe(oldTree);
    const newTree = (await get(gh, '/repos/acme/app/git/trees/main?recursive=1')).body as { sha: string; tree: { path: string; sha: string }[] };
    expect(newTree.sha).toBe(repo.treeSha);
    expect(newTree.tree.find((entry) => entry.path === 'src/index.ts')?.sha).toBe(sha);
    expect((await get(gh, `/repos/acme/app/git/trees/${oldTree}?recursive=1`)).status).toBe(200);

    const blob = (await get(gh, `/repos/acme/app/git/blobs/${sha}`)).body as { content: string; encoding: string; size: number };
    expect(blob.encoding).toBe('base64');
    expect(Buffer.from(blob.content, 'base64').toString('utf8')).toBe("export const greeting = 'bonjour';\n");

    repo.deleteFile('src/index.ts');
    const paths = ((await get(gh, '/repos/acme/app/git/trees/main?recursive=1')).body as { tree: { path: string }[] }).tree.map((entry) => entry.path);
    expect(paths).toEqual(['README.md']);
    const readme = (await get(gh, '/repos/acme/app/readme')).body as { path: string; content: string };
    expect(readme.path).toBe('README.md');
    expect(Buffer.from(readme.content, 'base64').toString('utf8')).toBe('# Acme app\n\nThe Acme web app.\n');
  });
});

describe('fake GitHub: rate limits', () => {
  it('sends x-ratelimit-* on every answer, charges 404s, and never charges an authorised 304', async () => {
    const { gh } = await start({ repos: [tiny], rateLimit: 10 });
    const first = await get(gh, '/repos/acme/app');
    expect(first.headers.get('x-ratelimit-limit')).toBe('10');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('9');
    expect(first.headers.get('x-ratelimit-used')).toBe('1');
    expect(first.headers.get('x-ratelimit-resource')).toBe('core');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBe(T0 / 1000 + 3600);

    const missing = await get(gh, '/repos/acme/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-ratelimit-remaining')).toBe('8');

    const etag = first.headers.get('etag') as string;
    const again = await get(gh, '/repos/acme/app', { ...auth, 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('x-ratelimit-remaining')).toBe('8');
    // Last-Modified validates too.
    const since = await get(gh, '/repos/acme/app', { ...auth, 'if-modified-since': first.headers.get('last-modified') as string });
    expect(since.status).toBe(304);

    const { stats } = gh;
    expect(stats).toMatchObject({ requests: 4, notModified: 2, charged: 2, rateLimited: 0 });
    expect(stats.byRoute).toEqual({ repo: 4 });

    // Without an Authorization header a 304 is charged (to the anonymous limit).
    const anonymous = await get(gh, '/repos/acme/app', {});
    const anonymous304 = await get(gh, '/repos/acme/app', { 'if-none-match': anonymous.headers.get('etag') as string });
    expect(anonymous304.status).toBe(304);
    expect(anonymous304.headers.get('x-ratelimit-limit')).toBe('60');
    expect(anonymous304.headers.get('x-ratelimit-remaining')).toBe('58');
    // ETags vary with the Authorization header: one caller's ETag does not validate another's request.
    expect(anonymous.headers.get('etag')).not.toBe(etag);
  });

  it('answers 403 with remaining 0 once the limit is spent, charges nothing more, and opens a new window at the reset', async () => {
    const { gh, clock } = await start({ repos: [tiny], rateLimit: 3 });
    for (let i = 0; i < 3; i++) expect((await get(gh, '/repos/acme/app/issues')).status).toBe(200);
    const refused = await get(gh, '/repos/acme/app/issues');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((refused.body as { message: string }).message).toMatch(/^API rate limit exceeded/);
    const reset = Number(refused.headers.get('x-ratelimit-reset'));
    expect(reset).toBe(T0 / 1000 + 3600);
    expect(gh.stats).toMatchObject({ charged: 3, rateLimited: 1 });
    expect(gh.rateLimit(TOKEN)).toMatchObject({ limit: 3, remaining: 0, used: 3, reset });

    clock.now = reset * 1000 - 1;
    expect((await get(gh, '/repos/acme/app/issues')).status).toBe(403);
    clock.now = reset * 1000;
    const fresh = await get(gh, '/repos/acme/app/issues');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-ratelimit-remaining')).toBe('2');
  });

  it('serves injected secondary limits (403 with retry-after, or none) without charging them', async () => {
    const { gh } = await start({ repos: [tiny] });
    gh.inject({ kind: 'secondary', route: 'blob', retryAfterS: 30 });
    gh.inject({ kind: 'secondary', status: 429, retryAfterS: null });
    const limited = await get(gh, '/repos/acme/app/issues');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    const sha = gh.repo('acme/app').fileSha('README.md') as string;
    const blob = await get(gh, `/repos/acme/app/git/blobs/${sha}`);
    expect(blob.status).toBe(403);
    expect(blob.headers.get('retry-after')).toBe('30');
    expect((blob.body as { message: string }).message).toMatch(/secondary rate limit/);
    expect((await get(gh, `/repos/acme/app/git/blobs/${sha}`)).status).toBe(200);
    expect(gh.stats).toMatchObject({ requests: 3, secondaryLimited: 2, charged: 1 });
  });

  it('answers 401 to an unknown token and 404 to a private repository without one', async () => {
    const { gh } = await start({ repos: [tiny, { owner: 'acme', name: 'secret', private: true }] });
    const bad = await get(gh, '/repos/acme/app', { authorization: 'token nope' });
    expect(bad.status).toBe(401);
    expect((bad.body as { message: string }).message).toBe('Bad credentials');
    expect((await get(gh, '/repos/acme/secret', {})).status).toBe(404);
    expect((await get(gh, '/repos/acme/secret')).status).toBe(200);
  });
});

describe('fake GitHub: mutations', () => {
  it('an edited comment moves its own updated_at, not the issue’s; a new comment moves both', async () => {
    const { gh, clock } = await start({ repos: [tiny] });
    const repo = gh.repo('acme/app');
    const [commentId] = repo.commentIds(1);
    const before = repo.updatedAt(1);

    clock.now = T0 + 60_000;
    repo.editComment(commentId as number, 'First! (edited)');
    expect(repo.updatedAt(1)).toBe(before);
    const watermark = encodeURIComponent('2024-06-01T00:00:00Z');
    expect((await get(gh, `/repos/acme/app/issues?state=all&since=${watermark}`)).body).toEqual([]);
    const comments = (await get(gh, `/repos/acme/app/issues/comments?since=${watermark}`)).body as { body: string; updated_at: string; created_at: string }[];
    expect(comments).toEqual([expect.objectContaining({ body: 'First! (edited)', created_at: '2024-05-01T11:00:00Z', updated_at: '2024-06-10T12:01:00Z' })]);

    clock.now = T0 + 120_500; // times are whole seconds, as GitHub writes them
    repo.addComment(3, 'A new comment');
    expect(repo.updatedAt(3)).toBe('2024-06-10T12:02:00Z');
    const changed = (await get(gh, `/repos/acme/app/issues?state=all&since=${watermark}`)).body as { number: number; comments: number }[];
    expect(changed).toEqual([expect.objectContaining({ number: 3, comments: 1 })]);

    repo.deleteComment(commentId as number);
    repo.deleteIssue(2);
    const issues = (await get(gh, '/repos/acme/app/issues?state=all')).body as { number: number; comments: number }[];
    expect(issues.map((issue) => issue.number)).toEqual([7, 6, 5, 4, 3, 1]);
    expect(issues.find((issue) => issue.number === 1)?.comments).toBe(0);
    expect((await get(gh, '/repos/acme/app/issues/2/comments')).status).toBe(404);
  });

  it('churns a deterministic share of files, issues and comments for re-sync benchmarks', async () => {
    const seed = generateRepo({ owner: 'acme', name: 'big', files: 100, issues: 40, pulls: 10, commentsPerIssue: 2, seed: 5 });
    const { gh, clock } = await start({ repos: [seed] });
    const repo = gh.repo('acme/big');
    const tree = repo.treeSha;
    const commentCount = repo.commentIds().length;
    clock.now = T0 + 5_000;
    const report = repo.churn({ share: 0.1, deleteShare: 0.5, seed: 9 });

    expect(report.files.edited.length + report.files.deleted.length).toBe(Math.ceil(seed.files!.filter((file) => typeof file.content === 'string' && file.mode !== '120000').length * 0.1));
    expect(report.issues.edited.length + report.issues.deleted.length).toBe(5);
    expect(repo.treeSha).not.toBe(tree);
    for (const path of report.files.deleted) expect(repo.fileSha(path)).toBeUndefined();
    for (const number of report.issues.edited) expect(repo.updatedAt(number)).toBe('2024-06-10T12:00:05Z');
    for (const number of report.issues.deleted) expect([...repo.issueNumbers(), ...repo.pullNumbers()]).not.toContain(number);
    for (const id of report.comments.edited) expect(repo.commentBody(id)).toMatch(/Edited at 2024-06-10T12:00:05Z/);
    expect(repo.commentIds().length).toBeLessThan(commentCount);

    const other = await startFakeGitHub({ repos: [seed], now: () => T0 + 5_000 });
    try {
      expect(other.repo('acme/big').churn({ share: 0.1, deleteShare: 0.5, seed: 9 })).toEqual(report);
    } finally {
      await other.close();
    }
  });
});

describe('fake GitHub with the GitHub connector', () => {
  it('reads every file, issue (with comments) and pull request of a generated repository', async () => {
    const seed = generateRepo({ owner: 'acme', name: 'app', files: 40, issues: 25, pulls: 8, commentsPerIssue: 2, seed: 42, largeShare: 0.05 });
    const { gh } = await start({ repos: [seed] });
    const { files, issues, pulls } = createGithubConnector({ baseUrl: gh.url, perPage: 10, retry: { retries: 0, baseDelayMs: 1 } }).streams;
    const context = () => makeContext({ repos: ['acme/app'] });

    const filePages = await readAll(files, context());
    const fileRecords = recordsOf(filePages).map((record) => record.data as GithubFile);
    const textFiles = (seed.files ?? []).filter(
      (file) => typeof file.content === 'string' && file.mode !== '120000' && !hasBinaryExtension(file.path) && Buffer.byteLength(file.content) <= 256 * 1024,
    );
    expect(textFiles.length).toBeGreaterThan(30);
    expect(fileRecords.map((file) => file.path).sort()).toEqual(textFiles.map((file) => file.path).sort());
    for (const file of fileRecords) expect(file.text).toBe(textFiles.find((seedFile) => seedFile.path === file.path)?.content);
    expect(failuresOf(filePages)).toEqual([]);

    const issueRecords = recordsOf(await readAll(issues, context())).map((record) => record.data as GithubIssue);
    expect(issueRecords).toHaveLength(25);
    for (const issue of seed.issues ?? []) {
      const read = issueRecords.find((record) => record.number === issue.number);
      expect(read).toMatchObject({ title: issue.title, body: issue.body ?? '', updatedAt: issue.updated_at });
      expect(read?.comments.map((comment) => comment.body)).toEqual((issue.comments ?? []).map((comment) => comment.body));
    }

    const pullRecords = recordsOf(await readAll(pulls, context())).map((record) => record.data as GithubPull);
    expect(pullRecords.map((pull) => pull.number).sort((a, b) => a - b)).toEqual((seed.pulls ?? []).map((pull) => pull.number));

    expect(gh.stats.rateLimited + gh.stats.secondaryLimited).toBe(0);
    expect(Object.keys(gh.stats.byStatus)).toEqual(['200']);
    expect(gh.stats.byRoute.blob).toBe(textFiles.length);
    expect(gh.rateLimit(TOKEN).used).toBe(gh.stats.charged);
  });
});
