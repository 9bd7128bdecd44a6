import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CommanderError } from 'commander';
import { describe, expect, it, type TestContext } from 'vitest';
import { createProgram } from '../src/cli/program.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repoRoot, 'src/cli/bin.ts');
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs `sluice mock-llm`; the process is killed when the test ends, whatever happened. */
function start(args: string[], ctx: TestContext) {
  const child = spawn(process.execPath, ['--import', tsx, bin, 'mock-llm', ...args], { cwd: repoRoot, stdio: 'pipe' });
  ctx.onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const url = /mock LLM listening on (http:\/\/\S+\/v1)/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    void exited.then(({ code }) => reject(new Error(`exited (${code}) before listening:\n${stdout}${stderr}`)));
  });
  listening.catch(() => undefined); // tests that expect an early exit never await it
  return { child, listening, exited };
}

describe('sluice mock-llm', () => {
  it('listens on the printed URL with the flags applied, and exits 0 on SIGTERM', async (ctx) => {
    const { child, listening, exited } = start(['--port', '0', '--rpm', '2', '--models', 'gpt-4o-mini,text-embedding-3-small'], ctx);
    const url = await listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);
    const chat = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }),
    });
    expect(chat.status).toBe(200);
    expect(chat.headers.get('x-ratelimit-limit-requests')).toBe('2');

    child.kill('SIGTERM');
    const { code, stdout } = await exited;
    expect(code).toBe(0);
    expect(stdout).toContain('mock LLM stopped (SIGTERM): 2 requests, 2 ok, 0 rate-limited');
  });

  it('exits 0 on SIGINT too', async (ctx) => {
    const { child, listening, exited } = start(['--port', '0'], ctx);
    await listening;
    child.kill('SIGINT');
    expect((await exited).code).toBe(0);
  });

  it('refuses a bad flag with a clear error and exit code 1', async (ctx) => {
    const { code, stderr } = await start(['--rpm', 'lots'], ctx).exited;
    expect(code).toBe(1);
    expect(stderr).toContain('--rpm must be a positive integer, got "lots"');
  });

  // The same parsers in-process: one process start is enough to prove the exit code.
  it.for<[string[], string]>([
    [['--fail-rate', '1.5'], '--fail-rate must be a number from 0 to 1, got "1.5"'],
    [['--latency', '80-20'], '--latency range must go from low to high, got "80-20"'],
    [['--latency', 'soon'], '--latency must be milliseconds like 50 or a range like 20-80, got "soon"'],
    [['--port', '70000'], '--port must be an integer from 0 to 65535, got "70000"'],
    [['--models', 'a,,b'], '--models must be model ids separated by commas'],
    [['--tpm', '0'], '--tpm must be a positive integer, got "0"'],
    [['--bogus'], "unknown option '--bogus'"],
  ])('refuses %j before starting anything', async ([args, message]) => {
    const program = createProgram();
    let stderr = '';
    for (const command of [program, ...program.commands]) {
      command.exitOverride().configureOutput({ writeErr: (text) => (stderr += text), writeOut: () => undefined });
    }
    await expect(program.parseAsync(['node', 'sluice', 'mock-llm', ...args])).rejects.toBeInstanceOf(CommanderError);
    expect(stderr).toContain(message);
  });

  it('explains itself with --help', async (ctx) => {
    const { code, stdout } = await start(['--help'], ctx).exited;
    expect(code).toBe(0);
    for (const flag of ['--port', '--host', '--rpm', '--tpm', '--latency', '--fail-rate', '--models', '--api-key']) expect(stdout).toContain(flag);
  });
});
