import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '../../src/index.js';
import { createSluice, loadConfig, type Sluice } from '../../src/runtime/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output (stdout and stderr) matches `pattern`; fails after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

const started = new Set<ChildProcess>();

/** Starts `sluice worker` (with `args`) in its own process and resolves once it is taking jobs. */
export async function startWorkerProcess(config: string, env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'worker', '--config', config, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const exited = once(child, 'exit').then(([code, signal]) => {
    started.delete(child);
    return (code ?? signal) as number | string;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const check of [...waiters]) check();
      if (output.includes('sluice worker ready')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  await ready;
  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`worker output did not match ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const check = () => {
        if (!pattern.test(output)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  return { child, output: () => output, exited, waitForOutput };
}

/** Kills every worker process a test left running. */
export async function stopAllWorkerProcesses(): Promise<void> {
  await Promise.all(
    [...started].map(async (child) => {
      const exit = once(child, 'exit');
      child.kill('SIGKILL');
      await exit;
    }),
  );
}

/** This process's own Sluice for the config its worker processes load, with the same environment. */
export async function openSluiceFor(config: string, env: Record<string, string>): Promise<Sluice> {
  Object.assign(process.env, env);
  const loaded = await loadConfig(config);
  return createSluice(defineConfig(loaded.config));
}

/** Ends a process test: worker processes, this process's Sluice, the prefix's keys. */
export async function cleanUpProcesses(sluice: Sluice | undefined, prefix: string, deletePrefix: (prefix: string) => Promise<void>): Promise<void> {
  await stopAllWorkerProcesses();
  await sluice?.close();
  await deletePrefix(prefix);
}
