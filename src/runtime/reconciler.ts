import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { RunSnapshot } from '../progress/events.js';
import { runScript } from '../store/scripts.js';
import type { RuntimeContext } from './context.js';
import { failRun as failRunOnce } from './handle-failure.js';
import { jobId, jobOptions, type JobSpec } from './jobs.js';
import type { RunRef } from './run-store.js';

export interface ReconcilerOptions {
  /** Time between two passes; the leader's lease lasts three of them. */
  intervalMs: number;
  /** A running run whose state has not changed for this long fails (0: never). */
  noProgressTimeoutMs: number;
}

/** What the index of running runs holds per run: the progress last seen, and since when. */
interface Seen {
  seq: number;
  at: number;
}

/**
 * Keeps runs from staying "running" forever. Every worker process runs one; the one holding the
 * lease in Redis (SET NX PX, renewed each pass) does the work, so there is no extra process. Each
 * pass reads the index of running runs and each run's status and seq (two round trips, and a third to update the index). A run
 * whose seq moved since the last pass is healthy; one that did not move is looked at closely:
 * - a pending shard whose job BullMQ failed outside Sluice's handler (a job stalled more than
 *   allowed) fails the run, naming the shard and BullMQ's reason;
 * - pending shards with no job at all (lost with acknowledged writes, deleted by hand) are queued
 *   again: a page from its kept cursor, a batch by reading its page again, a sweep as is. Job ids
 *   are deterministic, so queueing a shard that does have a job is a no-op;
 * - a run with no progress for `noProgressTimeoutMs` fails with a reason that says so.
 * A run progressing elsewhere is not checked shard by shard: a lost shard is found once the rest
 * of its run is done.
 */
export function startReconciler(rt: RuntimeContext, options: ReconcilerOptions): { close(): Promise<void> } {
  const holder = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let closed = false;

  const tick = async () => {
    try {
      const leader = await runScript<number>(rt.redis, 'hold-lease', [rt.keys.reconcilerLease], [holder, options.intervalMs * 3]);
      if (leader === 1) await pass();
    } catch (error) {
      // While Redis is away its outage is told once (RedisHealth); anything else gets a line.
      const unexpected = rt.health.report(error instanceof Error ? error : new Error(String(error)));
      if (unexpected) rt.log.error({ err: unexpected.message }, 'reconciler pass failed');
    }
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => void (ticking = tick().finally(schedule)), options.intervalMs);
    timer.unref();
  };

  const pass = async () => {
    const index = await rt.redis.hgetall(rt.keys.runningRuns);
    const entries = Object.entries(index).flatMap(([field, value]) => {
      const ref = parseField(field);
      return ref ? [{ field, ref, seen: parseSeen(value) }] : [];
    });
    if (entries.length === 0) return;
    // Concurrent reads, not one pipeline: runs live in different Cluster slots (a cluster pipeline
    // must stay in one), and ioredis sends concurrent commands back to back anyway.
    const states = await Promise.all(entries.map(({ ref }) => rt.redis.hmget(rt.keys.run(ref.pipelineId, ref.userId, ref.runId).state, 'status', 'seq', 'waiting')));
    const now = Date.now();
    // Index upkeep in one round trip (one key): ended runs leave, moving runs get their new seq and time.
    const upkeep = rt.redis.pipeline();
    const stalled: { ref: RunRef; idleMs: number; waiting: boolean }[] = [];
    for (const [i, { field, ref, seen }] of entries.entries()) {
      const [status, seq, waiting] = states[i] ?? [];
      if (status !== 'running') upkeep.hdel(rt.keys.runningRuns, field);
      else if (Number(seq) !== seen.seq) upkeep.hset(rt.keys.runningRuns, field, JSON.stringify({ seq: Number(seq), at: now }));
      else stalled.push({ ref, idleMs: now - seen.at, waiting: Boolean(waiting) });
    }
    await upkeep.exec();
    for (const { ref, idleMs, waiting } of stalled) {
      // A run waiting on a limit (a daily budget, a provider's cooldown) is not stuck: its jobs are
      // still checked, but the no-progress clock does not fail it.
      if (!waiting && options.noProgressTimeoutMs > 0 && idleMs > options.noProgressTimeoutMs) {
        await failRun(ref, `run timed out: no progress for ${Math.round(idleMs / 1000)} s (runs.noProgressTimeoutMs is ${options.noProgressTimeoutMs / 1000} s)`);
      } else {
        await inspect(ref);
      }
    }
  };

  const failRun = async (ref: RunRef, reason: string) => {
    if (await failRunOnce(rt, ref, reason)) rt.log.warn({ runId: ref.runId, userId: ref.userId, pipelineId: ref.pipelineId, reason }, 'reconciler failed a run');
  };

  /** Looks at each pending shard's job: none, failed, or there (waiting, delayed, active). */
  const inspect = async (ref: RunRef) => {
    let queue: Queue;
    try {
      queue = rt.queue(rt.pipeline(ref.pipelineId).queue);
    } catch {
      return; // a pipeline this config does not know: another deployment's run
    }
    const pending = await rt.redis.smembers(rt.keys.run(ref.pipelineId, ref.userId, ref.runId).pending);
    if (pending.length === 0) {
      // Every shard is counted but the run never completed: only lost writes get here.
      await failRun(ref, 'run has no work left but never completed (Redis lost writes); start it again');
      return;
    }
    const multi = rt.redis.pipeline();
    for (const shard of pending) multi.hmget(queue.toKey(jobId(ref.runId, shard)), 'timestamp', 'finishedOn', 'failedReason');
    for (const shard of pending) multi.zscore(queue.toKey('failed'), jobId(ref.runId, shard));
    const replies = (await multi.exec()) ?? [];
    // A read that failed says nothing about the jobs: the pass ends here (and logs), nothing is judged.
    const error = replies.find(([e]) => e)?.[0];
    if (error || replies.length !== 2 * pending.length) throw error ?? new Error('job reads came back incomplete');
    const missing: string[] = [];
    for (const [i, shard] of pending.entries()) {
      const [timestamp, , failedReason] = replies[i]![1] as (string | null)[];
      const failed = typeof replies[pending.length + i]![1] === 'string';
      if (failed) {
        await failRun(ref, failedOutsideReason(shard, failedReason ?? 'no reason given'));
        return;
      }
      if (!timestamp) missing.push(shard);
    }
    if (missing.length === 0) return;
    // A shard that completed between the two reads has no job either (removeOnComplete): only
    // shards still pending now are re-queued.
    const runKeys = rt.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const still = await Promise.all(missing.map((shard) => rt.redis.sismember(runKeys.pending, shard)));
    const lost = missing.filter((_, i) => still[i] === 1);
    if (lost.length > 0) await requeue(ref, queue, lost);
  };

  const requeue = async (ref: RunRef, queue: Queue, shards: string[]) => {
    const pipeline = rt.pipeline(ref.pipelineId);
    const jobs = new Map<string, JobSpec>();
    for (const shard of shards) {
      const spec = await shardJob(ref, shard);
      if (typeof spec === 'string') {
        await failRun(ref, spec);
        return;
      }
      // Lost work goes first: ordinal 0, the front of the round-robin order.
      jobs.set(spec.id, { name: spec.name, data: spec.data, opts: jobOptions(pipeline, ref.runId, spec.id, 0) } as JobSpec);
    }
    await queue.addBulk([...jobs.values()]);
    const note = `re-queued ${shards.length} pending shard(s) that had no job: ${shards.slice(0, 5).join(', ')}${shards.length > 5 ? ', ...' : ''}`;
    rt.log.warn({ runId: ref.runId, userId: ref.userId, pipelineId: ref.pipelineId, note }, 'reconciler re-queued shards');
    const run: RunSnapshot | undefined = await rt.runs.touch(ref);
    if (run) await rt.progress.publishRun('run.progress', run, { note });
  };

  /** The job that does a pending shard's work, or why none can. A batch's records live only in its job: its page is read again. */
  const shardJob = async (ref: RunRef, shard: string): Promise<{ id: string; name: JobSpec['name']; data: JobSpec['data'] } | string> => {
    const sweep = /^s(\d+)sweep$/.exec(shard);
    if (sweep) return { id: shard, name: 'sweep', data: { ...ref, sourceIndex: Number(sweep[1]) } };
    const batch = /^(.+)b\d+$/.exec(shard);
    const pageId = batch ? batch[1]! : shard;
    const page = /^((s(\d+))(?:p\d+f\d+)*)p(\d+)$/.exec(pageId);
    if (!page) return `pending shard "${shard}" is not a page, batch or sweep id; the run cannot go on`;
    const [, chain, source, sourceIndex, pageIndex] = page as unknown as [string, string, string, string, string];
    const first = chain === source && pageIndex === '0';
    const cursor = first ? undefined : await rt.runs.pageCursor(ref, pageId);
    if (!first && cursor === undefined) return `shard ${shard} lost its job and the cursor of page ${pageId} is unknown; start the run again`;
    return {
      id: pageId,
      name: 'page',
      data: { ...ref, sourceIndex: Number(sourceIndex), pageIndex: Number(pageIndex), ...(cursor ? { cursor } : {}), ...(chain === source ? {} : { chain }) },
    };
  };

  schedule();
  return {
    /** Stops, and gives the lease up so another worker process leads from its next pass. */
    async close() {
      closed = true;
      clearTimeout(timer);
      await ticking;
      await runScript(rt.redis, 'release-lease', [rt.keys.reconcilerLease], [holder]).catch(() => undefined);
    },
  };
}

/** Why a run failed when BullMQ failed one of its jobs without Sluice's handler (a stall limit). */
export const failedOutsideReason = (shard: string, reason: string) => `shard ${shard} failed in the queue, outside Sluice's handler: ${reason}`;

function parseField(field: string): RunRef | undefined {
  try {
    const [pipelineId, userId, runId] = JSON.parse(field) as unknown[];
    if (typeof pipelineId === 'string' && typeof userId === 'string' && typeof runId === 'string') return { pipelineId, userId, runId };
  } catch {
    // not an entry Sluice wrote: ignored
  }
  return undefined;
}

function parseSeen(value: string): Seen {
  try {
    const { seq, at } = JSON.parse(value) as Partial<Seen>;
    return { seq: Number(seq ?? 0), at: Number(at ?? Date.now()) };
  } catch {
    return { seq: -1, at: Date.now() };
  }
}
