/**
 * File reads cannot hold a page: a file swapped for a FIFO after it was listed is skipped (not
 * waited on), and a read that hangs (a stalled network mount, simulated) fails that file only.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const hang = () => new Promise<never>(() => {});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    // What lstat saw while listing: a regular file. By the read, `swapped.txt` is a FIFO.
    lstat: async (path: string) => (String(path).endsWith('swapped.txt') || String(path).endsWith('slow.txt') ? real.lstat(String(path).replace(/[^/]+$/, 'plain.txt')) : real.lstat(path)),
    readFile: (path: unknown, ...rest: unknown[]) => (String(path).endsWith('slow.txt') ? hang() : (real.readFile as (...a: unknown[]) => unknown)(path, ...rest)),
    open: async (path: string, ...rest: unknown[]) => {
      const handle = await (real.open as (...a: unknown[]) => Promise<import('node:fs/promises').FileHandle>)(path, ...rest);
      if (!String(path).endsWith('slow.txt')) return handle;
      // A stalled mount: the file opens and stats as a regular file, its read never returns.
      return {
        stat: () => handle.stat(),
        readFile: hang,
        close: () => handle.close(),
      };
    },
  };
});

const { createFilesConnector } = await import('../connectors/files/index.js');
const { unlimitedSource } = await import('../src/connector/index.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-files-deadline-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file reads have deadlines', () => {
  it('skips a file that became a FIFO, and fails a read that hangs with "timed out", the page going on', async () => {
    await writeFile(join(dir, 'plain.txt'), 'plain text');
    await writeFile(join(dir, 'slow.txt'), 'on a stalled mount');
    await promisify(execFile)('mkfifo', [join(dir, 'swapped.txt')]);
    const connector = createFilesConnector({ useGit: false, readTimeoutMs: 200 });
    const source = connector.files({ root: dir });
    const store = new Map<string, string>();
    const page = await source.read(
      {
        userId: 'u1',
        input: {},
        credentials: async () => ({}),
        limiter: unlimitedSource,
        state: { get: async (key) => store.get(key), set: async (key, value) => void store.set(key, value) },
      },
      undefined,
    );
    expect(page.records.map((record) => record.id)).toEqual(['plain.txt']);
    expect(page.failures).toEqual([{ id: 'slow.txt', reason: 'timed out after 0.2 s' }]);
  });
});
