import type { RedisClient } from '../../store/redis.js';
import type { ItemFailure, RunSnapshot, RunStatus } from '../../progress/events.js';
import type { KeyBuilder } from '../../store/keys.js';
import { globLiteral, scanKeys } from './scan.js';

/** A run as the operator view lists it. */
export interface AdminRun extends RunSnapshot {
  /** Seconds since the run started. */
  ageSeconds: number;
  /** Seconds it ran: to its end once ended, else so far. */
  durationSeconds: number;
  /** Its newest failed items (up to 5) when it has any: the rest through `run()`. */
  recentFailures: ItemFailure[];
}

export interface ListRunsOptions {
  /** Where the previous page's SCAN stopped; absent for the first page. */
  cursor?: string;
  /** About this many users' runs per page (SCAN counts are hints). Default 50. */
  users?: number;
  status?: RunStatus;
  /** Only runs waiting on a rate limit, budget or outage now. */
  waiting?: boolean;
}

export interface RunsPage {
  runs: AdminRun[];
  /** Users whose snapshots this page read. */
  users: number;
  /** Snapshot entries that were not readable JSON (skipped). */
  unreadable: number;
  /** Pass as `cursor` for the next page; null when the scan is complete. */
  cursor: string | null;
}

const FAILURES_IN_LIST = 5;

/**
 * Runs across users, from each user's published snapshot (`<prefix>:progress:{user}:snapshot`).
 * There is no index of users: a page is one bounded SCAN stretch over snapshot keys, so pages follow
 * Redis's hash order (not time), and runs are sorted newest first within a page.
 */
export async function listRuns(redis: RedisClient, keys: KeyBuilder, options: ListRunsOptions = {}): Promise<RunsPage> {
  const pattern = `${globLiteral(keys.prefix)}:progress:{*}:snapshot`;
  const page = await scanKeys(redis, pattern, { ...(options.cursor ? { cursor: options.cursor } : {}), wanted: options.users ?? 50 });
  // Concurrent reads, not one pipeline: users' snapshots live in different Cluster slots.
  const replies = await Promise.all(page.keys.map((key) => redis.hgetall(key)));
  let unreadable = 0;
  const snapshots: RunSnapshot[] = [];
  for (const all of replies) {
    for (const [field, json] of Object.entries(all)) {
      if (field.startsWith('seq:')) continue;
      const run = parseSnapshot(json);
      if (run) snapshots.push(run);
      else unreadable++;
    }
  }
  const chosen = snapshots
    .filter((run) => (options.status === undefined || run.status === options.status) && (!options.waiting || (run.status === 'running' && run.waiting !== undefined)))
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
  const failures = await newestFailures(redis, keys, chosen);
  const now = Date.now();
  return {
    runs: chosen.map((run, i) => ({ ...run, ...runAge(run, now), recentFailures: failures[i] ?? [] })),
    users: page.keys.length,
    unreadable,
    cursor: page.cursor,
  };
}

/** A run's newest failed items, up to `count` (the run keeps 50 at most). */
export async function runFailures(redis: RedisClient, keys: KeyBuilder, run: Pick<RunSnapshot, 'pipeline' | 'userId' | 'runId'>, count = 50): Promise<ItemFailure[]> {
  const lines = await redis.lrange(keys.run(run.pipeline, run.userId, run.runId).failures, 0, count - 1);
  return lines.flatMap((line) => parseFailure(line) ?? []);
}

async function newestFailures(redis: RedisClient, keys: KeyBuilder, runs: readonly RunSnapshot[]): Promise<ItemFailure[][]> {
  // One read per run with failures; not one pipeline, since runs of different users live in
  // different Cluster slots (ioredis sends concurrent commands back to back anyway).
  return Promise.all(
    runs.map((run) => (run.counts.failed === 0 ? [] : runFailures(redis, keys, run, FAILURES_IN_LIST))),
  );
}

export function runAge(run: RunSnapshot, now: number): { ageSeconds: number; durationSeconds: number } {
  const started = Date.parse(run.startedAt);
  if (Number.isNaN(started)) return { ageSeconds: 0, durationSeconds: 0 };
  const ended = run.finishedAt ? Date.parse(run.finishedAt) : now;
  const seconds = (until: number) => Math.max(0, Math.round((until - started) / 1000));
  return { ageSeconds: seconds(now), durationSeconds: seconds(Number.isNaN(ended) ? now : ended) };
}

/** Snapshot JSON as stored; anything else (a hand-edited or foreign value) is skipped, not fatal. */
function parseSnapshot(json: string): RunSnapshot | undefined {
  try {
    const run = JSON.parse(json) as RunSnapshot;
    const ok = typeof run === 'object' && run !== null && typeof run.runId === 'string' && typeof run.userId === 'string' && typeof run.status === 'string' && typeof run.counts === 'object' && run.counts !== null;
    return ok ? run : undefined;
  } catch {
    return undefined;
  }
}

function parseFailure(line: string): ItemFailure | undefined {
  try {
    const f = JSON.parse(line) as ItemFailure;
    return typeof f?.id === 'string' && typeof f.reason === 'string' ? { id: f.id, reason: f.reason } : undefined;
  } catch {
    return undefined;
  }
}
