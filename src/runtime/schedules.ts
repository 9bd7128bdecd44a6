import type { Queue } from 'bullmq';
import type { RedisClient } from '../store/redis.js';
import { InvalidInputError, isSluiceError } from '../errors/index.js';
import type { Pipeline } from '../pipeline/define-pipeline.js';
import { isTimeZone, jitterOffset, parseEvery, scheduleSpecSchema, type ScheduleSpec } from '../pipeline/schedule.js';
import { errorReason } from '../pipeline/step.js';
import type { RunSnapshot } from '../progress/events.js';
import { parseUserId } from '../store/ids.js';
import type { KeyBuilder } from '../store/keys.js';
import { JOB_SCHEDULE } from './jobs.js';

export interface ScheduleTarget {
  pipelineId: string;
  userId: string;
}

export type ScheduleUpsert = ScheduleTarget & { every?: string | number; cron?: string; tz?: string; input?: Record<string, unknown> };

export interface ScheduleInfo extends ScheduleTarget {
  /** Interval in milliseconds (the user's slot in it comes from their id). */
  every?: number;
  cron?: string;
  tz?: string;
  /** 'paused' fires nothing until resumed; `reason` says why (e.g. revoked credentials). */
  status: 'active' | 'paused';
  reason?: string;
  /** 'default': applied from the pipeline's declared schedule; 'user': set through the API or CLI. */
  origin: 'default' | 'user';
  /** When it fires next (ISO), while active. */
  nextRunAt?: string;
  /** The last time it came due while a run was still going, and was skipped. */
  lastSkippedAt?: string;
  updatedAt: string;
}

/** `sluice.schedules`: re-syncs per user and pipeline, on BullMQ job schedulers. */
export interface Schedules {
  /** Creates or replaces a user's schedule; idempotent, so it is safe on every deploy. */
  upsert(schedule: ScheduleUpsert): Promise<ScheduleInfo>;
  get(target: ScheduleTarget): Promise<ScheduleInfo | undefined>;
  /** One user's schedules, or everyone's. */
  list(userId?: string): Promise<ScheduleInfo[]>;
  /** False when there was none. */
  remove(target: ScheduleTarget): Promise<boolean>;
  pause(target: ScheduleTarget & { reason?: string }): Promise<ScheduleInfo | undefined>;
  resume(target: ScheduleTarget): Promise<ScheduleInfo | undefined>;
}

/** What the runtime calls into: firing, run ends, purge. */
export interface ScheduleRuntime extends Schedules {
  fire(target: ScheduleTarget): Promise<'started' | 'skipped' | 'inactive'>;
  runEnded(run: RunSnapshot, error?: unknown): Promise<void>;
  /** Removes every schedule of the user; returns how many. */
  removeUser(userId: string): Promise<number>;
}

/** Stored per user and pipeline; the BullMQ scheduler exists exactly while `status` is active. */
interface ScheduleRecord {
  spec: { every: number } | { cron: string; tz?: string };
  input?: Record<string, unknown>;
  status: 'active' | 'paused';
  reason?: string;
  origin: 'default' | 'user';
  lastSkippedAt?: string;
  updatedAt: string;
}

interface ScheduleDeps {
  redis: RedisClient;
  keys: KeyBuilder;
  pipeline(id: string): Pipeline<unknown>;
  queue(name: string): Queue;
  startRun(pipelineId: string, userId: string, input: Record<string, unknown> | undefined): Promise<{ created: boolean }>;
}

/** BullMQ scheduler id: one per pipeline and user, so upserting again replaces, never duplicates. */
export const schedulerId = (pipelineId: string, userId: string) => `${pipelineId}:${userId}`;

/** The credential error a schedule should not retry: the user must reconnect. */
const REVOKED_CODES = new Set(['source_auth']);

export function createSchedules(deps: ScheduleDeps): ScheduleRuntime {
  const { redis, keys } = deps;

  const read = async (pipelineId: string, userId: string): Promise<ScheduleRecord | undefined> => {
    const raw = await redis.hget(keys.schedules(userId), pipelineId);
    return raw ? (JSON.parse(raw) as ScheduleRecord) : undefined;
  };
  const write = async (pipelineId: string, userId: string, record: ScheduleRecord) => {
    // The index of users is a key of its own slot (no MULTI across slots on a cluster): it is added
    // to first, so a crash in between leaves a user listed with no schedule, which lists nothing.
    await redis.sadd(keys.scheduledUsers, userId);
    await redis.hset(keys.schedules(userId), pipelineId, JSON.stringify(record));
  };

  const installScheduler = async (p: Pipeline<unknown>, userId: string, spec: ScheduleRecord['spec']) => {
    const repeat =
      'every' in spec
        ? { every: spec.every, offset: Math.max(1, jitterOffset(p.id, userId, spec.every)) }
        : { pattern: spec.cron, ...(spec.tz ? { tz: spec.tz } : {}) };
    await deps.queue(p.queue).upsertJobScheduler(schedulerId(p.id, userId), repeat, {
      name: JOB_SCHEDULE,
      data: { pipelineId: p.id, userId },
      opts: { removeOnComplete: true, removeOnFail: { age: 24 * 3600 }, attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
    });
  };

  const info = async (pipelineId: string, userId: string, record: ScheduleRecord): Promise<ScheduleInfo> => {
    let nextRunAt: string | undefined;
    if (record.status === 'active') {
      const scheduler = await deps.queue(deps.pipeline(pipelineId).queue).getJobScheduler(schedulerId(pipelineId, userId));
      if (scheduler?.next) nextRunAt = new Date(scheduler.next).toISOString();
    }
    return {
      pipelineId,
      userId,
      ...record.spec,
      status: record.status,
      ...(record.reason ? { reason: record.reason } : {}),
      origin: record.origin,
      ...(nextRunAt ? { nextRunAt } : {}),
      ...(record.lastSkippedAt ? { lastSkippedAt: record.lastSkippedAt } : {}),
      updatedAt: record.updatedAt,
    };
  };

  const upsert = async (schedule: ScheduleUpsert, origin: ScheduleRecord['origin']): Promise<ScheduleInfo> => {
    const p = deps.pipeline(schedule.pipelineId);
    const userId = parseUserId(schedule.userId);
    const spec = toSpec(schedule);
    const previous = await read(p.id, userId);
    const input = schedule.input ?? previous?.input;
    const record: ScheduleRecord = { spec, ...(input ? { input } : {}), status: 'active', origin, updatedAt: new Date().toISOString() };
    // The record first: a scheduler that fires finds it. Upserting replaces the scheduler's next job.
    await write(p.id, userId, record);
    await installScheduler(p, userId, spec);
    return info(p.id, userId, record);
  };

  const remove = async ({ pipelineId, userId }: ScheduleTarget): Promise<boolean> => {
    const p = deps.pipeline(pipelineId);
    await deps.queue(p.queue).removeJobScheduler(schedulerId(p.id, userId));
    const removed = await redis.hdel(keys.schedules(userId), p.id);
    if ((await redis.hlen(keys.schedules(userId))) === 0) await redis.srem(keys.scheduledUsers, userId);
    return removed === 1;
  };

  const pause = async ({ pipelineId, userId, reason }: ScheduleTarget & { reason?: string }) => {
    const p = deps.pipeline(pipelineId);
    const record = await read(p.id, userId);
    if (!record) return undefined;
    // BullMQ schedulers cannot pause: remove it, keep the definition, install it again on resume.
    await deps.queue(p.queue).removeJobScheduler(schedulerId(p.id, userId));
    const paused: ScheduleRecord = { ...record, status: 'paused', ...(reason ? { reason } : {}), updatedAt: new Date().toISOString() };
    if (!reason) delete paused.reason;
    await write(p.id, userId, paused);
    return info(p.id, userId, paused);
  };

  return {
    upsert: (schedule) => upsert(schedule, 'user'),
    async get({ pipelineId, userId }) {
      const record = await read(pipelineId, userId);
      return record ? info(pipelineId, userId, record) : undefined;
    },
    async list(userId) {
      const users = userId ? [parseUserId(userId)] : (await redis.smembers(keys.scheduledUsers)).sort();
      const out: ScheduleInfo[] = [];
      // A hundred users at a time: listing everyone's is one round trip per user and schedule.
      for (let i = 0; i < users.length; i += 100) {
        const chunk = await Promise.all(
          users.slice(i, i + 100).map(async (user) => {
            const all = Object.entries(await redis.hgetall(keys.schedules(user))).sort(([a], [b]) => a.localeCompare(b));
            return Promise.all(all.map(([pipelineId, raw]) => info(pipelineId, user, JSON.parse(raw) as ScheduleRecord)));
          }),
        );
        out.push(...chunk.flat());
      }
      return out;
    },
    remove,
    pause,
    async resume({ pipelineId, userId }) {
      const p = deps.pipeline(pipelineId);
      const record = await read(p.id, userId);
      if (!record) return undefined;
      const { reason: _, ...rest } = record;
      const active: ScheduleRecord = { ...rest, status: 'active', updatedAt: new Date().toISOString() };
      await write(p.id, userId, active);
      await installScheduler(p, userId, active.spec);
      return info(p.id, userId, active);
    },

    async fire({ pipelineId, userId }) {
      const record = await read(pipelineId, userId);
      if (!record || record.status !== 'active') {
        // A scheduler without an active record was removed or paused midway: make sure it is gone.
        await deps.queue(deps.pipeline(pipelineId).queue).removeJobScheduler(schedulerId(pipelineId, userId));
        return 'inactive';
      }
      const started = await deps.startRun(pipelineId, userId, record.input);
      if (started.created) return 'started';
      // Overlap: a run is still going. Skip rather than queue: the running run already reads the
      // source, the next slot picks up what changed since, and a slow user never builds a backlog
      // of re-syncs.
      const latest = await read(pipelineId, userId);
      if (latest) await write(pipelineId, userId, { ...latest, lastSkippedAt: new Date().toISOString() });
      return 'skipped';
    },

    async runEnded(run, error) {
      const pipelineId = run.pipeline;
      const userId = run.userId;
      if (run.status === 'completed') {
        const declared = deps.pipeline(pipelineId).schedule;
        if (!declared || (await read(pipelineId, userId))) return;
        const input = await runInput(redis, keys, pipelineId, userId, run.runId);
        await upsert({ pipelineId, userId, ...declared, ...(input ? { input } : {}) }, 'default');
        return;
      }
      if (run.status === 'failed' && isSluiceError(error) && REVOKED_CODES.has(error.code)) {
        await pause({ pipelineId, userId, reason: `credentials revoked (${error.code}): ${errorReason(error)}`.slice(0, 500) });
      }
    },

    async removeUser(userId) {
      const all = await redis.hkeys(keys.schedules(userId));
      for (const pipelineId of all) {
        await remove({ pipelineId, userId }).catch(async () => {
          // A pipeline no longer in the config: its record still goes.
          await redis.hdel(keys.schedules(userId), pipelineId);
        });
      }
      await redis.del(keys.schedules(userId));
      await redis.srem(keys.scheduledUsers, userId);
      return all.length;
    },
  };
}

function toSpec(schedule: ScheduleUpsert): ScheduleRecord['spec'] {
  const given: ScheduleSpec | undefined =
    schedule.every !== undefined && schedule.cron === undefined
      ? { every: schedule.every }
      : schedule.cron !== undefined && schedule.every === undefined
        ? { cron: schedule.cron, ...(schedule.tz ? { tz: schedule.tz } : {}) }
        : undefined;
  if (!given) throw new InvalidInputError('a schedule needs exactly one of every (e.g. 6h) or cron (e.g. "0 */6 * * *")');
  if (schedule.tz && !('cron' in given)) throw new InvalidInputError('tz applies to cron schedules only');
  if (schedule.tz && !isTimeZone(schedule.tz)) throw new InvalidInputError(`unknown time zone "${schedule.tz}"`);
  const checked = scheduleSpecSchema.safeParse(given);
  if (!checked.success) throw new InvalidInputError(`invalid schedule: ${checked.error.issues[0]?.message ?? 'unreadable'}`);
  return 'every' in given ? { every: parseEvery(given.every)! } : given;
}

async function runInput(redis: RedisClient, keys: KeyBuilder, pipelineId: string, userId: string, runId: string) {
  const raw = await redis.hget(keys.run(pipelineId, userId, runId).state, 'input');
  const input = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  return input && Object.keys(input).length > 0 ? input : undefined;
}
