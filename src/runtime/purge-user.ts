import type { Queue } from 'bullmq';
import { scanKeys, unlinkKeys, type RedisClient } from '../store/redis.js';
import { parseUserId } from '../store/ids.js';
import type { KeyBuilder } from '../store/keys.js';
import type { ScheduleRuntime } from './schedules.js';

/** What `purgeUser` removed. */
export interface PurgeReport {
  userId: string;
  schedules: number;
  runs: number;
  documents: number;
  progressEvents: number;
  /** BullMQ jobs whose data named the user (queued, delayed, failed). */
  jobs: number;
  /** Jobs a worker held at that moment: they find their run gone and end, and BullMQ drops them. */
  jobsInFlight: number;
  /** Every Sluice key deleted (runs, documents, sync state, connector state, limiter keys, progress). */
  keys: number;
}

interface PurgeDeps {
  redis: RedisClient;
  keys: KeyBuilder;
  schedules: ScheduleRuntime;
  queueNames: readonly string[];
  queue(name: string): Queue;
}

/**
 * Forgets a user: schedules first (nothing new starts), then their jobs, then every key that names
 * them. Keys carry the user in their hash tag (`{pipeline:user}`, `{user}`, `{connector:user}`,
 * limiter keys like `{gmail:user:42}`), so one SCAN per pattern finds them all; a rare admin
 * operation can afford to walk the keyspace. User ids hold no glob characters.
 */
export async function purgeUser(deps: PurgeDeps, rawUserId: string): Promise<PurgeReport> {
  const userId = parseUserId(rawUserId);
  const { redis, keys } = deps;
  const schedules = await deps.schedules.removeUser(userId);

  const found = new Set<string>();
  for (const pattern of [`${keys.prefix}:*{*:${userId}}*`, `${keys.prefix}:*{${userId}}*`]) {
    for await (const batch of scanKeys(redis, pattern)) for (const key of batch) found.add(key);
  }
  const runKey = new RegExp(`^${escape(keys.prefix)}:run:\\{[^}]*\\}:([^:]+)$`);
  const runIds = new Set([...found].flatMap((key) => runKey.exec(key)?.[1] ?? []));
  const docsKey = new RegExp(`^${escape(keys.prefix)}:docs:\\{[^}]*\\}$`);
  let documents = 0;
  for (const key of found) if (docsKey.test(key)) documents += await redis.hlen(key);
  const progressEvents = await redis.xlen(keys.progress(userId).events).catch(() => 0);

  const { jobs, jobsInFlight } = await removeJobs(deps, userId, runIds);
  await unlinkKeys(redis, [...found]);
  return { userId, schedules, runs: runIds.size, documents, progressEvents, jobs, jobsInFlight, keys: found.size };
}

/**
 * The user's jobs: a run's shards (id `<runId>.<shard>`) and their schedules' own jobs (id
 * `repeat:<pipeline>:<user>:<millis>`). `Queue.remove` takes a job out of every state list with its
 * logs; it refuses a job a worker holds, which then ends on its own.
 */
async function removeJobs(deps: PurgeDeps, userId: string, runIds: ReadonlySet<string>) {
  let jobs = 0;
  let jobsInFlight = 0;
  for (const name of deps.queueNames) {
    const base = `${deps.keys.bullPrefix}:${name}:`;
    const ids = new Set<string>();
    for await (const batch of scanKeys(deps.redis, `${base}*`)) {
      for (const key of batch) {
        const rest = key.slice(base.length);
        const shard = /^([^.:]+)\.[^:]+/.exec(rest);
        if (shard && runIds.has(shard[1]!)) ids.add(shard[0]);
        const repeat = /^repeat:[^:]+:([^:]+):\d+/.exec(rest);
        if (repeat && repeat[1] === userId) ids.add(repeat[0]);
      }
    }
    const queue = deps.queue(name);
    for (const id of ids) {
      if (await queue.remove(id)) jobs += 1;
      else if (await deps.redis.exists(`${base}${id}`)) jobsInFlight += 1;
    }
  }
  return { jobs, jobsInFlight };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
