import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { describe, expect, it, type TestContext } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/redis.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repoRoot, 'src/cli/bin.ts');
// Absolute, so the CLI also starts from a folder outside the repository.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cliConfig = 'test/fixtures/config/cli.config.ts';
/** A guard against a CLI that does not exit (e.g. a worker that starts when it should have refused to). */
const KILL_AFTER_MS = 50_000;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], options: { cwd?: string; prefix?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL };
    if (options.prefix) env.SLUICE_TEST_PREFIX = options.prefix;
    else delete env.SLUICE_TEST_PREFIX;
    const child = spawn(process.execPath, ['--import', tsx, bin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('error', (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A Redis prefix for one test, deleted when the test ends. */
function testPrefix(ctx: TestContext, name: string): string {
  const prefix = uniquePrefix(`cli-${name}`);
  ctx.onTestFinished(() => deletePrefix(prefix));
  return prefix;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const found: string[] = [];
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        found.push(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  } finally {
    redis.disconnect();
  }
}

/** A clean failure: exit code 1, nothing on stdout, and no stack trace burying the message. */
function expectCleanFailure(result: CliResult): void {
  expect(result.signal).toBeNull();
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe.concurrent('sluice CLI --help', () => {
  it('lists the commands and global options', async () => {
    const result = await sluice(['--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^Usage: sluice \[options\] \[command\]/);
    for (const text of ['worker [options] [pipelines...]', 'run [options] <pipeline>', 'status [options]', '-c, --config <file>', '--redis <url>']) {
      expect(result.stdout).toContain(text);
    }
  });

  it.each([
    { command: 'worker', usage: 'Usage: sluice worker [options] [pipelines...]', options: ['--concurrency <n>'] },
    { command: 'run', usage: 'Usage: sluice run [options] <pipeline>', options: ['--user <id>', '--input <json>', '--follow'] },
    { command: 'status', usage: 'Usage: sluice status [options]', options: ['--user <id>', '--json', '--follow'] },
  ])('$command --help exits 0 and lists its options', async ({ command, usage, options }) => {
    const result = await sluice([command, '--help']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe(usage);
    for (const option of [...options, '-c, --config <file>', '--redis <url>', '-h, --help']) expect(result.stdout).toContain(option);
  });
});

describe.concurrent('sluice CLI argument errors', () => {
  it('run without --user names the missing option and shows the usage', async () => {
    const result = await sluice(['run', 'demo-files', '--config', cliConfig]);
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/^error: required option '--user <id>' not specified\n/);
    expect(result.stderr).toContain('Usage: sluice run [options] <pipeline>');
  });

  it('run without a pipeline names the missing argument', async () => {
    const result = await sluice(['run', '--user', 'u1', '--config', cliConfig]);
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/^error: missing required argument 'pipeline'\n/);
  });

  it('status without --user names the missing option', async () => {
    const result = await sluice(['status', '--config', cliConfig]);
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/^error: required option '--user <id>' not specified\n/);
  });

  it("--input that is not JSON says it expects a JSON object", async () => {
    const result = await sluice(['run', 'demo-files', '--user', 'u1', '--input', 'not json', '--config', cliConfig]);
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/^error: option '--input <json>' argument 'not json' is invalid\. expected a JSON object, got "not json"\n/);
  });

  it.each(['[1]', 'null'])('--input %s (JSON, not an object) is rejected', async (input) => {
    const result = await sluice(['run', 'demo-files', '--user', 'u1', '--input', input, '--config', cliConfig]);
    expectCleanFailure(result);
    expect(result.stderr).toContain(`error: option '--input <json>' argument '${input}' is invalid. expected a JSON object like {"repos":["octo/hello"]}`);
  });

  it.for(['0', '1.5'])('worker --concurrency %s says it must be a positive integer', async (value, ctx) => {
    // Were the value accepted, a worker would start: give it a prefix that is cleaned up.
    const prefix = testPrefix(ctx, 'concurrency');
    const result = await sluice(['worker', `--concurrency=${value}`, '--config', cliConfig], { prefix });
    expectCleanFailure(result);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: option '--concurrency <n>' argument '${value}' is invalid. --concurrency must be a positive integer, got "${value}"`,
    );
    expect(result.stderr).toContain('Usage: sluice worker');
  });
});

describe.concurrent('sluice CLI config errors', () => {
  it.each([
    { where: 'after the command', args: ['run', 'demo-files', '--user', 'u1', '--config', 'missing.ts'] },
    { where: 'before the command, on worker', args: ['-c', 'missing.ts', 'worker'] },
  ])('--config missing.ts ($where) says the file is not found', async ({ args }) => {
    const result = await sluice(args);
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Config file not found: missing.ts\n');
  });

  it('an invalid pipeline in the config names the pipeline file and the field', async () => {
    const result = await sluice(['run', 'bad-batch', '--user', 'u1', '--config', 'test/fixtures/config/bad-pipeline.config.ts']);
    expectCleanFailure(result);
    expect(result.stderr).toBe(
      'sluice: Invalid pipeline "bad-batch" in test/fixtures/config/pipelines/bad-batch.ts:\n  - sharding.batchSize: Too small: expected number to be >=1\n',
    );
  });

  it('a config that throws says it could not be loaded', async () => {
    const result = await sluice(['status', '--user', 'u1', '--config', 'test/fixtures/config/throws.config.ts']);
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Could not load test/fixtures/config/throws.config.ts: SLUICE_FIXTURE_NEVER_SET is not set\n');
  });

  it('outside any project says how to create a config', async (ctx) => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'sluice-cli-test-')));
    ctx.onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const result = await sluice(['status', '--user', 'u1'], { cwd: dir });
    expectCleanFailure(result);
    expect(result.stderr).toMatch(/^sluice: No Sluice config found: create sluice\.config\.ts .* or pass --config <file>\n$/);
  });
});

describe.concurrent('sluice CLI input rejected before anything is enqueued', () => {
  it('run with an invalid user id names the user id rule', async (ctx) => {
    const prefix = testPrefix(ctx, 'bad-user');
    const result = await sluice(['run', 'demo-files', '--user', 'bad user!', '--config', cliConfig], { prefix });
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Invalid user id "bad user!": user id must be 1-128 letters, digits, or . _ @ -\n');
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it('status with an invalid user id names the user id rule', async (ctx) => {
    const prefix = testPrefix(ctx, 'bad-user-status');
    const result = await sluice(['status', '--user', 'a/b', '--config', cliConfig], { prefix });
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Invalid user id "a/b": user id must be 1-128 letters, digits, or . _ @ -\n');
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it('run of an unknown pipeline lists the known ones', async (ctx) => {
    const prefix = testPrefix(ctx, 'unknown');
    const result = await sluice(['run', 'nope', '--user', 'u1', '--config', cliConfig], { prefix });
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Unknown pipeline "nope". Known: demo-files, cli-notes\n');
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it('worker for an unknown pipeline lists the known ones', async (ctx) => {
    const prefix = testPrefix(ctx, 'unknown-worker');
    const result = await sluice(['worker', 'nope', '--config', cliConfig], { prefix });
    expectCleanFailure(result);
    expect(result.stderr).toBe('sluice: Unknown pipeline "nope". Known: demo-files, cli-notes\n');
    expect(await keysUnder(prefix)).toEqual([]);
  });
});
