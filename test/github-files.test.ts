import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGithubConnector } from '../connectors/github/index.js';
import { toFile, toReadme } from '../connectors/github/mappers.js';
import { API, APP_SHA, MemoryState, appBlobs, failuresOf, fixture, makeContext, readAll, recordsOf } from '../connectors/github/fixtures/harness.js';

const TREE_SHA = APP_SHA.tree;
const SHA = APP_SHA;
const [appRepo] = fixture<Record<string, unknown>[]>('user-repos');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const blobs = appBlobs;

describe('github.files', () => {
  it('reads text files only: binary (NUL byte, .png, bad UTF-8) and oversized files are skipped, hash = blob sha', async () => {
    const { files } = createGithubConnector({ perPage: 2, retry: { retries: 0 } }).streams;
    const scope = blobs(
      nock(API)
        .get('/repos/acme/app')
        .reply(200, appRepo)
        .get('/repos/acme/app/git/trees/main')
        .query({ recursive: '1' })
        .reply(200, fixture('tree-app')),
    );
    const pages = await readAll(files, makeContext({ repos: ['acme/app'] }));
    scope.done();

    // Tree, then 4 candidate files in slices of perPage = 2.
    expect(pages.map((page) => page.records.length)).toEqual([0, 1, 1]);
    expect(recordsOf(pages)).toEqual([
      {
        id: 'file:acme/app:README.md',
        hash: SHA.readme,
        data: { repo: 'acme/app', path: 'README.md', sha: SHA.readme, size: 30, text: '# Acme app\n\nThe Acme web app.\n' },
      },
      {
        id: 'file:acme/app:src/index.ts',
        hash: SHA.index,
        data: { repo: 'acme/app', path: 'src/index.ts', sha: SHA.index, size: 34, text: "export const greeting = 'héllo';\n" },
      },
    ]);
    expect(failuresOf(pages)).toEqual([]);
  });

  it('re-reads the tree by sha when the cached listing is gone', async () => {
    const { files } = createGithubConnector({ perPage: 100, retry: { retries: 0 } }).streams;
    const state = new MemoryState();
    nock(API).get('/repos/acme/app').reply(200, appRepo).get('/repos/acme/app/git/trees/main').query({ recursive: '1' }).reply(200, fixture('tree-app'));
    const context = makeContext({ repos: ['acme/app'] }, { state });
    const first = await files.read(context, undefined);
    expect(state.values.has(`tree:acme/app@${TREE_SHA}`)).toBe(true);
    state.values.clear();

    const scope = blobs(nock(API).get(`/repos/acme/app/git/trees/${TREE_SHA}`).query({ recursive: '1' }).reply(200, fixture('tree-app')));
    const second = await files.read(context, first.nextCursor);
    scope.done();
    expect(second.records.map((record) => record.id)).toEqual(['file:acme/app:README.md', 'file:acme/app:src/index.ts']);
    expect(second.nextCursor).toBeUndefined();
  });

  it('an empty repository (409) has no files and no failure', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    nock(API)
      .get('/repos/acme/empty')
      .reply(200, { ...appRepo, full_name: 'acme/empty' })
      .get('/repos/acme/empty/git/trees/main')
      .query({ recursive: '1' })
      .reply(409, { message: 'Git Repository is empty.', documentation_url: 'https://docs.github.com/rest/git/trees#get-a-tree' });
    expect(await readAll(files, makeContext({ repos: ['acme/empty'] }))).toEqual([{ records: [] }]);
  });
});

describe('github.readme and the user repo listing', () => {
  it('lists the user repos when none are named, then reads each README; no README is not a failure', async () => {
    const { readme } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const scope = nock(API)
      .get('/user/repos')
      .query({ affiliation: 'owner', sort: 'full_name', per_page: '100' })
      .reply(200, fixture('user-repos'))
      .get('/repos/acme/app/readme')
      .reply(200, fixture('readme-app'))
      .get('/repos/acme/docs/readme')
      .reply(404, fixture('error-not-found'));
    const pages = await readAll(readme, makeContext({}));
    scope.done();
    expect(recordsOf(pages)).toEqual([
      {
        id: 'readme:acme/app',
        hash: expect.stringMatching(/^[\w-]{22}$/),
        data: {
          repo: 'acme/app',
          path: 'README.md',
          sha: SHA.readme,
          text: '# Acme app\n\nThe Acme web app.\n',
          htmlUrl: 'https://github.com/acme/app/blob/main/README.md',
        },
      },
    ]);
    expect(failuresOf(pages)).toEqual([]);
  });

  it('files of listed repos use the default branch from the listing (no extra repo request)', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 } }).streams;
    const [, docs] = fixture<Record<string, unknown>[]>('user-repos');
    nock(API)
      .get('/user/repos')
      .query(true)
      .reply(200, [docs])
      .get('/repos/acme/docs/git/trees/trunk')
      .query({ recursive: '1' })
      .reply(200, { sha: 'aaaa', tree: [], truncated: false });
    const pages = await readAll(files, makeContext({}));
    expect(recordsOf(pages)).toEqual([]);
  });
});

describe('github.repositories', () => {
  it('pages through /user/repos by Link header and maps the output model', async () => {
    const { repositories } = createGithubConnector({ perPage: 1, retry: { retries: 0 } }).streams;
    const [app, docs] = fixture<unknown[]>('user-repos');
    const scope = nock(API)
      .get('/user/repos')
      .query({ affiliation: 'owner', sort: 'full_name', per_page: '1' })
      .reply(200, [app], { link: `<${API}/user/repos?affiliation=owner&sort=full_name&per_page=1&page=2>; rel="next", <${API}/user/repos?affiliation=owner&sort=full_name&per_page=1&page=2>; rel="last"` })
      .get('/user/repos')
      .query({ affiliation: 'owner', sort: 'full_name', per_page: '1', page: '2' })
      .reply(200, [docs], { link: `<${API}/user/repos?affiliation=owner&sort=full_name&per_page=1&page=1>; rel="prev", <${API}/user/repos?affiliation=owner&sort=full_name&per_page=1&page=1>; rel="first"` });
    const pages = await readAll(repositories, makeContext({}));
    scope.done();
    expect(pages).toHaveLength(2);
    expect(recordsOf(pages).map((record) => record.data)).toEqual([
      {
        fullName: 'acme/app',
        description: 'The Acme web app',
        defaultBranch: 'main',
        private: false,
        language: 'TypeScript',
        updatedAt: '2024-05-03T10:00:00Z',
        htmlUrl: 'https://github.com/acme/app',
      },
      {
        fullName: 'acme/docs',
        description: null,
        defaultBranch: 'trunk',
        private: true,
        language: null,
        updatedAt: '2024-04-20T08:30:00Z',
        htmlUrl: 'https://github.com/acme/docs',
      },
    ]);
    expect(recordsOf(pages)[0]!.id).toBe('repo:acme/app');
  });
});

describe('baseUrl', () => {
  it('talks to GitHub Enterprise Server under /api/v3, Link pages and comment URLs included', async () => {
    const GHE = 'https://ghe.example.com';
    const connector = createGithubConnector({ baseUrl: `${GHE}/api/v3/`, perPage: 1, retry: { retries: 0 } });
    const [issue] = fixture<Record<string, unknown>[]>('issues-page-2');
    const gheIssue = { ...issue, comments_url: `${GHE}/api/v3/repos/acme/app/issues/39/comments` };
    const scope = nock(GHE)
      .get('/api/v3/repos/acme/app/issues')
      .query({ state: 'all', sort: 'created', direction: 'asc', per_page: '1' })
      .reply(200, [gheIssue], { link: `<${GHE}/api/v3/repositories/7/issues?state=all&per_page=1&page=2>; rel="next"` })
      .get('/api/v3/repositories/7/issues')
      .query({ state: 'all', per_page: '1', page: '2' })
      .reply(200, [])
      .get('/api/v3/repos/acme/app/issues/39/comments')
      .query({ per_page: '100' })
      .reply(200, fixture('issue-39-comments'));
    const pages = await readAll(connector.streams.issues, makeContext({ repos: ['acme/app'] }));
    scope.done();
    expect(recordsOf(pages).map((record) => [record.id, record.data.comments.length])).toEqual([['issue:acme/app#39', 1]]);
  });

  it('names endpoints relative to the GHE base in errors', async () => {
    const connector = createGithubConnector({ baseUrl: 'https://ghe.example.com/api/v3', retry: { retries: 0 } });
    nock('https://ghe.example.com').get('/api/v3/user/repos').query(true).reply(200, { unexpected: true });
    await expect(connector.streams.repositories.read(makeContext({}), undefined)).rejects.toThrow(
      'GitHub GET /user/repos returned an object where a list was expected',
    );
  });
});

describe('record ids', () => {
  it('carry their kind: a root file named README is not the readme record', () => {
    const file = toFile({ repo: 'acme/app', path: 'README', sha: SHA.readme, size: 1, text: 'x' });
    const readme = toReadme({ repo: 'acme/app', path: 'README', sha: SHA.readme, text: 'x', htmlUrl: null });
    expect(file.id).toBe('file:acme/app:README');
    expect(readme.id).toBe('readme:acme/app');
  });
});

describe('the connector object', () => {
  it('exposes typed source factories that validate params', () => {
    const connector = createGithubConnector();
    const source = connector.issues({ repos: ['acme/app'] });
    expect(source).toMatchObject({ connector: 'github', stream: 'issues', changeFeed: 'full', fullListing: true, params: { repos: ['acme/app'] } });
    expect(connector.files().changeFeed).toBe('full');
    expect(() => connector.pulls({ repos: ['no-slash'] })).toThrow(/owner\/name/);
    expect(() => createGithubConnector({ perPage: 500 })).toThrow(/perPage/);
  });
});

describe('sizes are checked against what GitHub sent, not what it claims', () => {
  const big = Buffer.from('# Big\n' + 'x'.repeat(5000)).toString('base64');

  it('a README claiming 10 bytes but carrying more than maxFileBytes is skipped as oversized', async () => {
    const { readme } = createGithubConnector({ retry: { retries: 0 }, maxFileBytes: 1000 }).streams;
    const lying = { ...fixture<Record<string, unknown>>('readme-app'), size: 10, content: big };
    const scope = nock(API).get('/repos/acme/app/readme').reply(200, lying);
    const pages = await readAll(readme, makeContext({ repos: ['acme/app'] }));
    scope.done();
    expect(recordsOf(pages)).toEqual([]);
  });

  it('a blob claiming 10 bytes but carrying more than maxFileBytes is skipped as oversized', async () => {
    const { files } = createGithubConnector({ retry: { retries: 0 }, maxFileBytes: 1000 }).streams;
    const lying = { ...fixture<Record<string, unknown>>('blob-README.md'), size: 10, content: big, encoding: 'base64' };
    // The lying README blob is registered first, so it answers before the honest one of appBlobs.
    blobs(
      nock(API)
        .get('/repos/acme/app')
        .reply(200, appRepo)
        .get('/repos/acme/app/git/trees/main')
        .query({ recursive: '1' })
        .reply(200, fixture('tree-app'))
        .get(`/repos/acme/app/git/blobs/${SHA.readme}`)
        .reply(200, lying),
    );
    const pages = await readAll(files, makeContext({ repos: ['acme/app'] }));
    const paths = recordsOf(pages).map((record) => (record.data as { path: string }).path);
    expect(paths).not.toContain('README.md');
    expect(paths.length).toBeGreaterThan(0);
  });
});
