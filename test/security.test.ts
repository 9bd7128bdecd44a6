/**
 * One test per finding of the security review: each reproduces what an attacker did against the
 * code before the fix, and checks the fix holds.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorState, Page, ReadContext, Source } from '../src/connector/index.js';
import { unlimitedSource } from '../src/connector/index.js';
import { files, type FileRecord } from '../connectors/files/index.js';

const exec = promisify(execFile);

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-security-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(path: string, content: string): Promise<void> {
  const absolute = join(dir, path);
  await mkdir(dirname(absolute), { recursive: true });
  await writeFile(absolute, content);
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  await exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd });
}

/** A read context whose connector state lives as long as the run (shared by its pages). */
function runContext(input: Record<string, unknown> = {}): Omit<ReadContext<unknown>, 'params'> {
  const store = new Map<string, string>();
  const state: ConnectorState = {
    get: async (key) => store.get(key),
    set: async (key, value) => {
      store.set(key, value);
    },
  };
  return { userId: 'user-1', input, credentials: async () => ({}), state, limiter: unlimitedSource };
}

async function readAll(source: Source<FileRecord>, input: Record<string, unknown> = {}, between?: () => Promise<void>) {
  const ctx = runContext(input);
  const pages: Page<FileRecord>[] = [];
  let cursor: string | undefined;
  do {
    const page = await source.read(ctx, cursor);
    pages.push(page);
    cursor = page.nextCursor;
    if (between) await between();
  } while (cursor !== undefined);
  const records = pages.flatMap((page) => page.records);
  return { pages, records, paths: records.map((record) => record.id) };
}

describe('files connector is confined to its roots', () => {
  it('refuses a root from the run input when the pipeline does not allow input roots, naming the value', async () => {
    const read = files.files().read(runContext({ root: '/etc' }), undefined);
    await expect(read).rejects.toThrow(/root "\/etc" from the run input is refused/);
    await expect(read).rejects.toMatchObject({ kind: 'run-fatal' });
  });

  it('refuses an input root outside the allowed folder, `..` segments, and a symlink out of it', async () => {
    await put('uploads/alice/a.md', 'alice');
    await put('outside/secret.md', 'secret');
    await symlink(join(dir, 'outside'), join(dir, 'uploads', 'escape'));
    const source = files.files({ allowInputRoot: { under: join(dir, 'uploads') } });

    expect((await readAll(source, { root: 'alice' })).paths).toEqual(['a.md']);
    expect((await readAll(source, { root: join(dir, 'uploads', 'alice') })).paths).toEqual(['a.md']);
    await expect(readAll(source, { root: join(dir, 'outside') })).rejects.toThrow(/outside the allowed folders/);
    await expect(readAll(source, { root: '/etc' })).rejects.toThrow(/root "\/etc" .*outside the allowed folders/);
    await expect(readAll(source, { root: '../outside' })).rejects.toThrow(/root "\.\.\/outside" .*"\.\." segments/);
    await expect(readAll(source, { root: `${join(dir, 'uploads')}/../outside` })).rejects.toThrow(/"\.\." segments/);
    await expect(readAll(source, { root: 'escape' })).rejects.toThrow(/root "escape" .*outside the allowed folders/);
  });

  it('never follows a symlinked directory of a git tree out of the root (tracked dir/passwd, dir -> outside)', async () => {
    const root = join(dir, 'repo');
    await put('outside/passwd', 'root:x:0:0');
    await put('repo/dir/passwd', 'tracked');
    await put('repo/ok.md', 'ok');
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-q', '-m', 'init');
    await rm(join(root, 'dir'), { recursive: true });
    await symlink(join(dir, 'outside'), join(root, 'dir'));

    const { records } = await readAll(files.files({ root }));
    expect(records.map((record) => record.id)).toEqual(['ok.md']);
    expect(JSON.stringify(records)).not.toContain('root:x');
  });

  it('lists the tree once per run, not once per page', async () => {
    for (let i = 0; i < 25; i += 1) await put(`tree/f-${String(i).padStart(2, '0')}.md`, `file ${i}`);
    let added = 0;
    // A file added after the first page would show up only if a later page listed the tree again.
    const { pages, paths } = await readAll(files.files({ root: join(dir, 'tree'), pageSize: 10 }), {}, async () => {
      added += 1;
      await put(`tree/z-added-${added}.md`, 'later');
    });
    expect(pages).toHaveLength(3);
    expect(paths).toHaveLength(25);
    expect(paths.some((path) => path.startsWith('z-added'))).toBe(false);
  });
});

describe('git runs without the commands of the folder it lists', () => {
  it('a .git/config core.fsmonitor command is not run when the files connector lists the tree', async () => {
    const root = join(dir, 'repo');
    const marker = join(dir, 'MARKER');
    await put('repo/a.md', 'a');
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-q', '-m', 'init');
    await git(root, 'config', 'core.fsmonitor', `touch ${marker}; false`);
    await git(root, 'config', 'core.hooksPath', join(dir, 'hooks'));

    const { paths } = await readAll(files.files({ root }));
    expect(paths).toEqual(['a.md']);
    expect(existsSync(marker)).toBe(false);
  });
});
