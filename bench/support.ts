import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import type { RunSnapshot } from '../src/index.js';
import type { Sluice } from '../src/runtime/index.js';

/** Deletes every key of a prefix, Sluice's (`prefix:*`) and BullMQ's (`{prefix}:*`), by SCAN + UNLINK. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

/** The same, on a connection of its own. */
export async function deletePrefixAt(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** A positive integer from the environment, or the fallback; anything else is a clear error. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** A worker child (`node --import tsx <script>`) with `env`, resolved once it reports `ready` over IPC. */
export async function startWorkerChild(cwd: string, script: string, env: Record<string, string>, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const [message] = (await Promise.race([once(child, 'message'), once(child, 'exit').then(() => [undefined])])) as [{ type: string } | undefined];
  if (message?.type !== 'ready') throw new Error('a worker child exited before it was ready');
  return child;
}

/** Starts a run and follows its events to the end: its final snapshot, and when its first document was written. */
export async function runToEnd(sluice: Sluice, pipelineId: string, userId: string): Promise<{ run: RunSnapshot; wallMs: number; firstDocMs?: number }> {
  const started = Date.now();
  const { runId } = await sluice.startRun(pipelineId, { userId });
  let firstDocMs: number | undefined;
  let after: string | undefined;
  let final: RunSnapshot | undefined;
  while (!final) {
    for (const event of await sluice.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if (event.runId !== runId || !('run' in event)) continue;
      if (firstDocMs === undefined && event.run.counts.written > 0) firstDocMs = Date.now() - started;
      if (event.type === 'run.completed' || event.type === 'run.failed') final = event.run;
    }
  }
  return { run: final, wallMs: Date.now() - started, firstDocMs };
}

/** Prints a table with ` | ` between columns, each cell padded to its header's width. */
export function printTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  console.log(header.join(' | '));
  for (const row of rows) console.log(row.map((cell, i) => String(cell).padEnd(header[i]?.length ?? 0)).join(' | ').trimEnd());
}

/** The end of a run's row: its status, and failures when there were some. */
export const statusOf = (run: RunSnapshot): string => `${run.status}${run.counts.failed ? `, ${run.counts.failed} failed` : ''}`;

/** Milliseconds as seconds with one decimal, or n/a. */
export const seconds = (ms?: number): string => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
