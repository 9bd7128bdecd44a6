import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { ConnectorState, ReadContext } from '../src/connector/index.js';
import { unlimitedSource } from '../src/connector/index.js';

// A file vanishing or becoming unreadable between listing and reading is a race; the test makes it
// happen on demand by failing `lstat` for chosen paths. Tests run as root here, so chmod cannot do it.
const hooks = vi.hoisted(() => ({ fail: new Map<string, string>(), failStat: new Map<string, string>() }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const lstat = (async (path: Parameters<typeof actual.lstat>[0], ...rest: unknown[]) => {
    for (const [suffix, code] of hooks.fail) {
      if (String(path).endsWith(suffix)) {
        throw Object.assign(new Error(`${code}: simulated, lstat '${String(path)}'`), { code });
      }
    }
    return (actual.lstat as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof actual.lstat;
  const stat = (async (path: Parameters<typeof actual.stat>[0], ...rest: unknown[]) => {
    const code = hooks.failStat.get(String(path));
    if (code) throw Object.assign(new Error(`${code}: simulated, stat '${String(path)}'`), { code });
    return (actual.stat as (...args: unknown[]) => unknown)(path, ...rest);
  }) as typeof actual.stat;
  return { ...actual, lstat, stat };
});

const { files } = await import('../connectors/files/index.js');

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-files-'));
  hooks.fail.clear();
});

afterEach(async () => {
  hooks.fail.clear();
  hooks.failStat.clear();
  await rm(dir, { recursive: true, force: true });
});

function context(): Omit<ReadContext<unknown>, 'params'> {
  const store = new Map<string, string>();
  const state: ConnectorState = {
    get: async (key) => store.get(key),
    set: async (key, value) => {
      store.set(key, value);
    },
  };
  return { userId: 'user-1', input: {}, credentials: async () => ({}), state, limiter: unlimitedSource };
}

it('a file that vanished or is unreadable after listing becomes a failure entry, not a thrown error', async () => {
  for (const name of ['a.md', 'gone.md', 'locked.md', 'z.md']) await writeFile(join(dir, name), name);
  hooks.fail.set('gone.md', 'ENOENT');
  hooks.fail.set('locked.md', 'EACCES');

  const page = await files.files({ root: dir }).read(context(), undefined);

  expect(page.records.map((record) => record.id)).toEqual(['a.md', 'z.md']);
  expect(page.failures).toEqual([
    { id: 'gone.md', reason: expect.stringContaining('ENOENT') },
    { id: 'locked.md', reason: expect.stringContaining('EACCES') },
  ]);
  expect(page.total).toBe(4);
});

it('an unexpected I/O error is thrown so the page is retried', async () => {
  await writeFile(join(dir, 'a.md'), 'a');
  hooks.fail.set('a.md', 'EIO');
  await expect(files.files({ root: dir }).read(context(), undefined)).rejects.toThrow(/EIO/);
});

it('a root that cannot be read fails the run at once; an I/O error on it is retried', async () => {
  hooks.failStat.set(dir, 'EACCES');
  await expect(files.files({ root: dir }).read(context(), undefined)).rejects.toMatchObject({
    name: 'SourceConfigError',
    kind: 'run-fatal',
    message: expect.stringMatching(/cannot be read: EACCES/),
  });
  hooks.failStat.set(dir, 'EIO');
  await expect(files.files({ root: dir }).read(context(), undefined)).rejects.toMatchObject({
    name: 'SourceError',
    kind: 'retry',
    message: expect.stringMatching(/cannot be read: EIO/),
  });
});
