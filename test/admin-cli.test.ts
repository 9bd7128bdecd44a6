import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifyAdminToken } from '../src/auth/admin-token.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SECRET = 'serve-secret-of-at-least-32-bytes-long';
const ADMIN_SECRET = 'admin-secret-of-at-least-32-bytes-long';

/** The CLI as a child process; `onStdout` sees its output as it comes. A guard kills one that hangs. */
function sluice(args: string[], env: NodeJS.ProcessEnv, onStdout?: (stdout: string) => void) {
  const base: NodeJS.ProcessEnv = { ...process.env, REDIS_URL };
  delete base.SLUICE_SECRET;
  delete base.SLUICE_ADMIN_SECRET;
  const child = spawn(process.execPath, ['--import', tsx, join(repoRoot, 'src/cli/bin.ts'), ...args], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out.stdout += chunk;
    onStdout?.(out.stdout);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
  const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const exited = once(child, 'close').then(([code]) => (clearTimeout(guard), code as number | null));
  return { child, out, exited };
}

describe.concurrent('sluice token --admin and sluice serve --admin', () => {
  it('token --admin prints an admin token signed with SLUICE_ADMIN_SECRET', async () => {
    const { out, exited } = sluice(['token', '--admin', '--ttl', '60'], { SLUICE_ADMIN_SECRET: ADMIN_SECRET });
    expect(await exited).toBe(0);
    const claims = verifyAdminToken(out.stdout.trim(), ADMIN_SECRET);
    expect(claims.exp * 1000).toBeGreaterThan(Date.now());
  });

  it('token --admin without an admin secret, or with --user, fails saying so', async () => {
    const missing = sluice(['token', '--admin'], { SLUICE_SECRET: SECRET });
    expect(await missing.exited).toBe(1);
    expect(missing.out.stderr).toMatch(/^sluice: no admin secret: pass --admin-secret <secret> or set SLUICE_ADMIN_SECRET/);
    const both = sluice(['token', '--admin', '--user', 'u1'], { SLUICE_ADMIN_SECRET: ADMIN_SECRET });
    expect(await both.exited).toBe(1);
    expect(both.out.stderr).toMatch(/^sluice: --admin tokens are for operators, not a user: drop --user/);
    const neither = sluice(['token'], { SLUICE_SECRET: SECRET });
    expect(await neither.exited).toBe(1);
    expect(neither.out.stderr).toMatch(/required option '--user <id>' not specified \(or --admin for an operator token\)/);
  });

  it('serve --admin refuses the progress secret as admin secret', async () => {
    const same = sluice(['serve', '--port', '0', '--admin', '--config', 'test/fixtures/config/cli.config.ts'], { SLUICE_SECRET: SECRET, SLUICE_ADMIN_SECRET: SECRET });
    expect(await same.exited).toBe(1);
    expect(same.out.stderr).toContain('the admin secret must differ from the progress token secret');
  });

  it('serve --admin serves /admin and the admin API to a token from token --admin', async (ctx) => {
    const prefix = uniquePrefix('cli-admin');
    ctx.onTestFinished(() => deletePrefix(prefix));
    const env = { SLUICE_SECRET: SECRET, SLUICE_ADMIN_SECRET: ADMIN_SECRET, SLUICE_TEST_PREFIX: prefix };
    let announced!: (url: string) => void;
    const adminUrl = new Promise<string>((resolve) => (announced = resolve));
    const serve = sluice(['serve', '--port', '0', '--admin', '--config', 'test/fixtures/config/cli.config.ts'], env, (stdout) => {
      const match = /admin view at (http:\/\/\S+)\/admin /.exec(stdout);
      if (match) announced(match[1]!);
    });
    const url = await Promise.race([adminUrl, serve.exited.then((code) => Promise.reject(new Error(`serve exited ${code}: ${serve.out.stderr}`)))]);
    const token = sluice(['token', '--admin'], env);
    expect(await token.exited).toBe(0);
    const page = await fetch(`${url}/admin`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Sluice admin</title>');
    const runs = await fetch(`${url}/admin/api/runs`, { headers: { authorization: `Bearer ${token.out.stdout.trim()}` } });
    expect(runs.status).toBe(200);
    expect(await runs.json()).toMatchObject({ runs: [], cursor: null });
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });
});
