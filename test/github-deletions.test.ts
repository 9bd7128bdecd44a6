import { afterEach, describe, expect, it } from 'vitest';
import { createGithubConnector } from '../connectors/github/index.js';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startFakeGitHub, type FakeGitHub } from '../src/testing/github-server.js';
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
