import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorState, Page, ReadContext, Source } from '../src/connector/index.js';
import { ConnectorParamsError, unlimitedSource } from '../src/connector/index.js';
import { createFilesConnector, files, type FileRecord } from '../connectors/files/index.js';

const run = promisify(execFile);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function context(input: Record<string, unknown> = {}): Omit<ReadContext<unknown>, 'params'> {
  const store = new Map<string, string>();
  const state: ConnectorState = {
    get: async (key) => store.get(key),
    set: async (key, value) => {
      store.set(key, value);
    },
  };
  return { userId: 'user-1', input, credentials: async () => ({}), state, limiter: unlimitedSource };
}

async function put(path: string, content: string | Uint8Array): Promise<void> {
  const absolute = join(dir, path);
  await mkdir(dirname(absolute), { recursive: true });
  await writeFile(absolute, content);
}

async function readAll(source: Source<FileRecord>, input: Record<string, unknown> = {}) {
  const pages: Page<FileRecord>[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.read(context(input), cursor);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  const records = pages.flatMap((page) => page.records);
  return { pages, records, paths: records.map((record) => record.id) };
}

async function git(...args: string[]): Promise<void> {
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: dir });
}

describe('files connector', () => {
  it('pages 25 files 10 at a time: 3 pages, every file exactly once, total on each page', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `doc-${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await put(name, `content of ${name}`);

    const { pages, paths } = await readAll(files.files({ root: dir, pageSize: 10 }));

    expect(pages.map((page) => page.records.length)).toEqual([10, 10, 5]);
    expect(pages.every((page) => page.total === 25)).toBe(true);
    expect(pages[2]?.nextCursor).toBeUndefined();
    expect(paths).toEqual(names);
  });

  it('keeps pages stable when a file is added between page calls', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `m-${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await put(name, name);
    const source = files.files({ root: dir, pageSize: 10 });

    const first = await source.read(context(), undefined);
    await put('a-added-later.txt', 'sorts before every other path');
    const seen = first.records.map((record) => record.id);
    let cursor = first.nextCursor;
    while (cursor !== undefined) {
      const page = await source.read(context(), cursor);
      seen.push(...page.records.map((record) => record.id));
      cursor = page.nextCursor;
    }

    expect(seen).toEqual(names);
  });

  it('returns records with relative posix paths, size, ISO mtime, text and content hash', async () => {
    await put('docs/guide/intro.md', '# Hello');
    const when = new Date('2024-05-01T12:00:00.000Z');
    await utimes(join(dir, 'docs/guide/intro.md'), when, when);

    const { records } = await readAll(files.files({ root: dir }));

    expect(records).toHaveLength(1);
    expect(records[0]?.id).toBe('docs/guide/intro.md');
    expect(records[0]?.data).toEqual({
      path: 'docs/guide/intro.md',
      size: 7,
      modifiedAt: '2024-05-01T12:00:00.000Z',
      text: '# Hello',
    });
    expect(records[0]?.hash).toMatch(/^[\w-]{22}$/);
  });

  it('default ignore globs drop node_modules, .git and dist; custom ignore globs replace them', async () => {
    await put('src/a.ts', 'a');
    await put('.github/workflows/ci.yml', 'on: push');
    await put('node_modules/pkg/index.js', 'x');
    await put('dist/a.js', 'x');
    await put('.git/config', 'x');
    await put('logs/today.log', 'x');

    const defaults = await readAll(files.files({ root: dir }));
    expect(defaults.paths).toEqual(['.github/workflows/ci.yml', 'logs/today.log', 'src/a.ts']);

    const custom = await readAll(files.files({ root: dir, ignore: ['**/*.log', 'node_modules/**'] }));
    expect(custom.paths).toEqual(['.git/config', '.github/workflows/ci.yml', 'dist/a.js', 'src/a.ts']);
  });

  it('include globs keep only matching paths, and ignore still applies to them', async () => {
    await put('README.md', 'r');
    await put('docs/a.md', 'a');
    await put('docs/b.txt', 'b');
    await put('docs/drafts/c.md', 'c');
    await put('node_modules/pkg/README.md', 'x');

    const everywhere = await readAll(files.files({ root: dir, include: ['**/*.md'] }));
    expect(everywhere.paths).toEqual(['README.md', 'docs/a.md', 'docs/drafts/c.md']);

    const narrowed = await readAll(files.files({ root: dir, include: ['docs/**'], ignore: ['docs/drafts/**'] }));
    expect(narrowed.paths).toEqual(['docs/a.md', 'docs/b.txt']);
    expect(narrowed.pages[0]?.total).toBe(2);
  });

  it('skips binary files (NUL byte) and files over maxFileBytes without failures', async () => {
    await put('text.txt', 'plain text');
    await put('image.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x0d, 0x0a]));
    await put('exact.txt', 'x'.repeat(100));
    await put('big.txt', 'x'.repeat(101));

    const { pages, paths } = await readAll(files.files({ root: dir, maxFileBytes: 100 }));

    expect(paths).toEqual(['exact.txt', 'text.txt']);
    expect(pages[0]?.failures).toBeUndefined();
    // Skipped files are still candidates: the total counts listed paths, not records.
    expect(pages[0]?.total).toBe(4);
  });

  it('skips files that are not valid UTF-8, keeps multi-byte UTF-8', async () => {
    await put('latin1.txt', new Uint8Array([0x63, 0x61, 0x66, 0xe9])); // "café" in Latin-1
    await put('utf8.txt', 'café ✓');

    const { records } = await readAll(files.files({ root: dir }));

    expect(records.map((record) => record.id)).toEqual(['utf8.txt']);
    expect(records[0]?.data.text).toBe('café ✓');
  });

  it('in a git work tree, respects .gitignore and includes untracked files that are not ignored', async () => {
    await git('init', '-q');
    await put('.gitignore', '*.log\nbuild/\n');
    await put('tracked.md', 'tracked');
    await put('gone.md', 'deleted after commit');
    await git('add', '.');
    await git('commit', '-q', '-m', 'init');
    await put('untracked.md', 'new');
    await put('debug.log', 'ignored');
    await put('build/out.txt', 'ignored');
    await rm(join(dir, 'gone.md'));

    const { pages, paths } = await readAll(files.files({ root: dir }));

    expect(paths).toEqual(['.gitignore', 'tracked.md', 'untracked.md']);
    // A tracked file deleted from disk is not a candidate, so not a failure either.
    expect(pages[0]?.failures).toBeUndefined();
  });

  it('in a git work tree, a subdirectory root gives paths relative to that root', async () => {
    await git('init', '-q');
    await put('top.md', 'top');
    await put('docs/a.md', 'a');
    await put('docs/deep/b.md', 'b');

    const { paths } = await readAll(files.files({ root: join(dir, 'docs') }));

    expect(paths).toEqual(['a.md', 'deep/b.md']);
  });

  it('unchanged content keeps its hash; changed content changes it; a touch does not', async () => {
    await put('a.md', 'one');
    await put('b.md', 'same');
    const source = files.files({ root: dir });
    const hashes = async () => new Map((await readAll(source)).records.map((r) => [r.id, r.hash] as const));

    const before = await hashes();
    await put('a.md', 'two');
    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'b.md'), later, later);
    const after = await hashes();

    expect(after.get('b.md')).toBe(before.get('b.md'));
    expect(after.get('a.md')).not.toBe(before.get('a.md'));
  });

  it('the same content at two paths hashes differently', async () => {
    await put('x.md', 'same');
    await put('y.md', 'same');
    const { records } = await readAll(files.files({ root: dir }));
    expect(records[0]?.hash).not.toBe(records[1]?.hash);
  });

  it('a missing root throws an error naming the root and saying it does not exist', async () => {
    const missing = join(dir, 'nope');
    const read = files.files({ root: missing }).read(context(), undefined);
    await expect(read).rejects.toThrow(`files: root "${missing}" does not exist`);
    // A permanent misconfiguration: the run fails at once instead of after every retry.
    await expect(read).rejects.toMatchObject({ name: 'SourceConfigError', kind: 'run-fatal', connector: 'files' });
  });

  it('a root that is a file throws an error saying it is not a directory', async () => {
    await put('file.txt', 'x');
    const root = join(dir, 'file.txt');
    const read = files.files({ root }).read(context(), undefined);
    await expect(read).rejects.toThrow(`files: root "${root}" is not a directory`);
    await expect(read).rejects.toMatchObject({ name: 'SourceConfigError', kind: 'run-fatal' });
  });

  it('no root in params nor in the run input throws a clear error', async () => {
    const read = files.files().read(context(), undefined);
    await expect(read).rejects.toThrow(/no root directory/);
    await expect(read).rejects.toMatchObject({ name: 'SourceConfigError', kind: 'run-fatal' });
  });

  it('takes root from the run input when the params have none and allow it; params win over input', async () => {
    await put('input/a.md', 'from input');
    await put('param/b.md', 'from params');

    const fromInput = await readAll(files.files({ pageSize: 5, allowInputRoot: { under: dir } }), { root: join(dir, 'input') });
    expect(fromInput.paths).toEqual(['a.md']);

    const fromParams = await readAll(files.files({ root: join(dir, 'param') }), { root: join(dir, 'input') });
    expect(fromParams.paths).toEqual(['b.md']);
  });

  it('resolves a relative root against the cwd option (process.cwd() by default)', async () => {
    await put('docs/a.md', 'a');
    const connector = createFilesConnector({ cwd: dir });
    const { paths } = await readAll(connector.files({ root: 'docs' }));
    expect(paths).toEqual(['a.md']);

    const fromProcessCwd = relative(process.cwd(), join(dir, 'docs'));
    expect((await readAll(files.files({ root: fromProcessCwd }))).paths).toEqual(['a.md']);
  });

  it('rejects invalid params when the source is defined', () => {
    expect(() => files.files({ root: dir, pageSize: 0 })).toThrow(ConnectorParamsError);
  });

  it('rejects a malformed cursor with a clear error', async () => {
    await put('a.md', 'a');
    await expect(files.files({ root: dir }).read(context(), 'not-a-cursor')).rejects.toThrow(/malformed cursor/);
  });

  it('declares a full change feed under the files connector id', () => {
    const source = files.files({ root: dir });
    expect(source.connector).toBe('files');
    expect(source.stream).toBe('files');
    expect(source.changeFeed).toBe('full');
  });
});
