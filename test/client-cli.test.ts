import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../src/progress/events.js';
import { createFakeProgressServer, itemFailed, memoryProgress, runEvent, type FakeProgressServer } from './support/sse-server.js';

const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function run(seq: number, patch: Partial<RunSnapshot> = {}): RunSnapshot {
  return {
    runId: 'run-1', pipeline: 'onboarding', userId: 'ada', status: 'running', startedAt: new Date().toISOString(), seq,
    counts: { discovered: 10, processed: seq, skipped: 0, failed: 0, written: seq, total: 10 },
    ...patch,
  };
}

/** A progress server whose POST /runs starts `run-1`, and the CLI started in a folder with no config and no Redis settings. */
async function setup(args: string[]) {
  const log = memoryProgress('ada');
  const server: FakeProgressServer = await createFakeProgressServer({
    source: log.source,
    retryMs: 50,
    startRun: async (userId, body) => {
      log.append(runEvent('run.started', run(1, { pipeline: body.pipeline, userId })));
      return { runId: 'run-1', created: true };
    },
  });
  const cwd = await mkdtemp(join(tmpdir(), 'sluice-cli-remote-'));
  const child = spawn(process.execPath, ['--import', tsx, bin, ...args.map((a) => a.replace('$URL', server.url))], {
    cwd,
    env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', SLUICE_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  /** Resolves once stdout contains `text` (checked on every chunk, no polling). */
  const printed = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => stdout.includes(text) && (child.stdout.off('data', check), resolve());
      child.stdout.on('data', check);
      check();
    });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await server.close();
    await rm(cwd, { recursive: true, force: true });
  });
  return { log, server, exited, printed, output: () => ({ stdout, stderr }) };
}

describe('the CLI through a progress server (--url)', () => {
  it('run --follow starts the run over HTTP, follows it over SSE across a dropped stream, and exits 0 when it completes', async () => {
    const { log, server, exited, printed, output } = await setup(['run', 'onboarding', '--user', 'ada', '--url', '$URL', '--token', 'secret', '--follow']);
    await server.waitForOpenStreams(1);
    log.append(runEvent('run.progress', run(4)));
    log.append(itemFailed(run(4), { id: 'rec-5', reason: 'bad' }));
    await printed('4/10 processed 4');
    await server.dropStreams();
    await server.waitForOpenStreams(1);
    log.append(runEvent('run.completed', run(10, { status: 'completed' })));

    expect(await exited).toBe(0);
    const { stdout, stderr } = output();
    expect(stdout).toContain('started: run run-1 of onboarding for ada');
    expect(stdout.trim().split('\n').at(-1)).toMatch(/ada\s+onboarding\s+█+\s+100% done\s+10\/10 processed 10/);
    expect(stderr).toContain('reconnecting');
    expect(server.requests.at(-1)!.lastEventId).toBeDefined();
  }, 120_000);

  it('run --follow exits 1 when the run fails', async () => {
    const { log, server, exited, output } = await setup(['run', 'onboarding', '--user', 'ada', '--url', '$URL', '--token', 'secret', '--follow']);
    await server.waitForOpenStreams(1);
    log.append(runEvent('run.failed', run(3, { status: 'failed', error: 'GitHub token revoked' })));
    expect(await exited).toBe(1);
    expect(output().stdout).toContain('FAILED');
  }, 120_000);

  it('status --follow with a refused token says why and exits 1', async () => {
    const { exited, output } = await setup(['status', '--user', 'ada', '--url', '$URL', '--token', 'wrong', '--follow']);
    expect(await exited).toBe(1);
    expect(output().stderr).toMatch(/sluice: progress server http:\/\/127\.0\.0\.1:\d+: .* \(unauthorized\)/);
  }, 120_000);
});
