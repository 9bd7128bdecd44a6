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
