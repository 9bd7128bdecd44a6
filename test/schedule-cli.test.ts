import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repoRoot, 'src/cli/bin.ts');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const config = 'test/fixtures/config/cli.config.ts';

let prefix = '';
afterEach(() => deletePrefix(prefix));

async function sluice(prefixName: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, bin, ...args, '-c', config], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL, SLUICE_TEST_PREFIX: prefixName },
    timeout: 50_000,
  });
  return stdout;
}

describe('sluice schedule and sluice purge', () => {
  it('adds, pauses with a reason, lists, and purges a user', async () => {
    prefix = uniquePrefix('cli-schedule');
    expect(await sluice(prefix, 'schedule', 'add', 'demo-files', '--user', 'u1', '--cron', '0 9 * * *', '--tz', 'Europe/Paris')).toMatch(
      /demo-files {2}u1 {2}cron "0 9 \* \* \*" Europe\/Paris {2}active, next in/,
    );
    expect(await sluice(prefix, 'schedule', 'pause', 'demo-files', '--user', 'u1', '--reason', 'asked by support')).toMatch(/paused: asked by support/);
    const listed = JSON.parse(await sluice(prefix, 'schedule', 'list', '--json')) as { userId: string; status: string; reason?: string }[];
    expect(listed).toEqual([expect.objectContaining({ userId: 'u1', status: 'paused', reason: 'asked by support' })]);
    const report = JSON.parse(await sluice(prefix, 'purge', '--user', 'u1', '--json')) as { schedules: number };
    expect(report.schedules).toBe(1);
    expect(await sluice(prefix, 'schedule', 'list')).toMatch(/no schedules/);
  });
});
