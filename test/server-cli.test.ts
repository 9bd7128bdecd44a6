import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createProgressToken, verifyProgressToken } from '../src/server/index.js';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';
import { openSse } from './support/sse.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repoRoot, 'src/cli/bin.ts');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cliConfig = 'test/fixtures/config/cli.config.ts';
/** A guard against a CLI that does not exit; not a timing assertion. */
const KILL_AFTER_MS = 50_000;

function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const base: NodeJS.ProcessEnv = { ...process.env, REDIS_URL };
  delete base.SLUICE_SECRET;
  const child = spawn(process.execPath, ['--import', tsx, bin, ...args], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.stderr += chunk));
  const guard = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  const exited = once(child, 'close').then(([code]) => {
    clearTimeout(guard);
    return code as number | null;
  });
  return { child, output, exited };
}

/** The URL `sluice serve` prints once it listens (and has its signal handlers). */
function listeningUrl(serve: ReturnType<typeof start>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    serve.child.stdout!.on('data', () => {
      const match = /sluice serve listening on (http:\/\/\S+)/.exec(serve.output.stdout);
      if (match) resolve(match[1]!);
    });
    void serve.exited.then((code) => reject(new Error(`serve exited (${code}) before listening:\n${serve.output.stderr}`)));
  });
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { output, exited } = start(args, env);
  const code = await exited;
  return { code, ...output };
}

describe.concurrent('sluice token', () => {
  it('--user u1 --secret s prints a token that verifies for u1, valid for --ttl seconds', async () => {
    const before = Math.floor(Date.now() / 1000);
    const result = await run(['token', '--user', 'u1', '--secret', 'a-test-secret-of-at-least-32-bytes', '--ttl', '60']);
    const after = Math.ceil(Date.now() / 1000);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^v1\.\S+\n$/);
    const claims = verifyProgressToken(result.stdout.trim(), 'a-test-secret-of-at-least-32-bytes');
    expect(claims.userId).toBe('u1');
    expect(claims.exp).toBeGreaterThanOrEqual(before + 60);
    expect(claims.exp).toBeLessThanOrEqual(after + 60);
  });

  it('takes the secret from SLUICE_SECRET', async () => {
    const result = await run(['token', '--user', 'u2'], { SLUICE_SECRET: 'from-env-a-secret-of-at-least-32-bytes' });
    expect(result.code).toBe(0);
    expect(verifyProgressToken(result.stdout.trim(), 'from-env-a-secret-of-at-least-32-bytes').userId).toBe('u2');
  });

  it('refuses to run without a secret, saying how to give one', async () => {
    const result = await run(['token', '--user', 'u1']);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sluice: no token secret: pass --secret <secret> or set SLUICE_SECRET (sluice serve and sluice token must share it)\n',
    });
  });

  it('refuses an invalid user id', async () => {
    const result = await run(['token', '--user', 'bad user', '--secret', 'a-test-secret-of-at-least-32-bytes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('sluice: Invalid user id "bad user": user id must be 1-128 letters, digits, or . _ @ -\n');
  });
});

describe('sluice serve', () => {
  it('refuses to start without a secret', async () => {
    const result = await run(['serve', '--config', cliConfig]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^sluice: no token secret: pass --secret <secret> or set SLUICE_SECRET/);
  });

  it('serves progress, and on SIGTERM ends open streams and exits 0', async (ctx) => {
    const prefix = uniquePrefix('cli-serve');
    ctx.onTestFinished(() => deletePrefix(prefix));
    const serve = start(['serve', '--port', '0', '--config', cliConfig], { SLUICE_SECRET: 'serve-secret-of-at-least-32-bytes-long', SLUICE_TEST_PREFIX: prefix });
    const url = await listeningUrl(serve);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });

    const token = createProgressToken({ userId: 'u1', secret: 'serve-secret-of-at-least-32-bytes-long' });
    const streams = await Promise.all([openSse(`${url}/v1/users/u1/progress/stream?token=${token}`), openSse(`${url}/v1/users/u1/progress/stream?token=${token}`)]);
    for (const sse of streams) expect(await sse.nextMessage()).toMatchObject({ event: 'snapshot' });

    serve.child.kill('SIGTERM');
    for (const sse of streams) expect(await sse.ended()).toEqual([]);
    expect(await serve.exited).toBe(0);
    expect(serve.output.stdout).toContain('sluice serve: SIGTERM, ending open streams\nsluice serve stopped\n');
  });

  it('--metrics serves GET /metrics behind SLUICE_METRICS_TOKEN; without --metrics there is no such route', async (ctx) => {
    const prefix = uniquePrefix('cli-metrics');
    ctx.onTestFinished(() => deletePrefix(prefix));
    const env = { SLUICE_SECRET: 'serve-secret-of-at-least-32-bytes-long', SLUICE_TEST_PREFIX: prefix };
    const serve = start(['serve', '--port', '0', '--metrics', '--config', cliConfig], { ...env, SLUICE_METRICS_TOKEN: 'metrics-token-of-16-bytes-or-more' });
    const url = await listeningUrl(serve);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const response = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-token-of-16-bytes-or-more' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of ['sluice_sse_connections 0', 'sluice_redis_up 1', 'sluice_queue_jobs{']) expect(text).toContain(name);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);

    const plain = start(['serve', '--port', '0', '--config', cliConfig], env);
    const plainUrl = await listeningUrl(plain);
    expect((await fetch(`${plainUrl}/metrics`)).status).toBe(404);
    plain.child.kill('SIGTERM');
    expect(await plain.exited).toBe(0);
  });

  it('exits 0 on SIGINT sent as soon as it says it listens', async (ctx) => {
    const prefix = uniquePrefix('cli-serve');
    ctx.onTestFinished(() => deletePrefix(prefix));
    const serve = start(['serve', '--port', '0', '--config', cliConfig], { SLUICE_SECRET: 'serve-secret-of-at-least-32-bytes-long', SLUICE_TEST_PREFIX: prefix });
    await listeningUrl(serve);
    serve.child.kill('SIGINT');
    expect(await serve.exited).toBe(0);
    expect(serve.output.stdout).toContain('sluice serve: SIGINT, ending open streams\nsluice serve stopped\n');
  });
});
