import type { RedisClient } from '../store/redis.js';
import type { Usage } from '../pipeline/llm.js';
import type { ItemFailure, RunSnapshot, RunStatus } from '../progress/events.js';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';

/** Identifies a run; every run key is derived from these three. */
export interface RunRef {
  runId: string;
  pipelineId: string;
  userId: string;
}

export type ShardOutcome = 'ignored' | 'recorded' | 'completed';

export interface PageCommit {
  pageId: string;
  batchCount: number;
  nextPageId?: string;
  /** Cursors of the forks registered as pending: fork i is the page `${pageId}f${i}p0`. */
  forkCursors: readonly string[];
  source: string;
  nextCursor?: string;
  discovered: number;
  unchanged: number;
  failures: readonly ItemFailure[];
  total?: number;
  watermark?: string;
  /** The watermark's order key (epoch ms, or the integer), compared numerically in Lua. */
  watermarkKey?: number;
  /** The source lists its whole scope: this page counts toward its mark and sweep. */
  fullListing: boolean;
  /** Size of the page's record data (JSON length), added once to the run's `bytes`. */
  bytes: number;
}

export interface BatchCommit {
  batchId: string;
  processed: number;
  skipped: number;
  failed: number;
  written: number;
  failures: readonly ItemFailure[];
  usage?: Usage;
  /** Source records the batch's deletions removed from the sink. */
  deleted?: number;
}

/** Run state transitions, each one atomic Lua call over the run's keys. */
export class RunStore {
  /** `usageRedis` carries usage counts, on the LLM calls' connection: they go in one round trip with the call's settle. */
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyBuilder,
    private readonly usageRedis: RedisClient = redis,
  ) {}

  async start(ref: RunRef, sourceCount: number, input: unknown, connectionId?: string): Promise<{ runId: string; created: boolean; pendingFirstPages: string[] }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const statePrefix = run.state.slice(0, run.state.length - ref.runId.length);
    const [created, runId, ...pages] = await runScript<[number, string, ...string[]]>(
      this.redis,
      'start-run',
      [this.keys.activeRun(ref.pipelineId, ref.userId), run.state, run.pending, this.keys.sync(ref.pipelineId, ref.userId)],
      [ref.runId, ref.pipelineId, ref.userId, now(), sourceCount, JSON.stringify(input ?? {}), statePrefix, connectionId ?? ''],
    );
    return { runId, created: created === 1, pendingFirstPages: pages };
  }

  /** `ordinal`: batches the run had before this page's; the page's batches follow it. */
  /**
   * `ordinal`: batches the run had before this page's; the page's batches follow it. `sweep`: the
   * source's full listing finished clean and its sweep shard is pending (enqueue it).
   */
  async completePage(
    ref: RunRef,
    commit: PageCommit,
  ): Promise<{ outcome: ShardOutcome; run: RunSnapshot; ordinal: number; sweep: boolean; bytes: number; alreadyDone: Set<string> }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [outcome, fields, ordinal, sweep, bytes, done] = await runScript<[number, (string | null)[], number, number, number, string[]]>(
      this.redis,
      'complete-page',
      [
        run.state, run.pending, run.done, run.pages, run.failures, this.keys.activeRun(ref.pipelineId, ref.userId), this.keys.sync(ref.pipelineId, ref.userId),
        run.seen(commit.source), this.keys.members(ref.pipelineId, ref.userId, commit.source),
      ],
      [
        ref.runId, commit.pageId, commit.batchCount, commit.nextPageId ?? '', commit.source, commit.nextCursor ?? '',
        commit.discovered, commit.unchanged, commit.failures.length, commit.total ?? '', commit.watermark ?? '', now(),
        commit.fullListing ? '1' : '0', commit.watermark === undefined ? '' : String(commit.watermarkKey ?? ''),
        commit.forkCursors.length, commit.bytes, JSON.stringify(commit.forkCursors), ...failureLines(commit.failures),
      ],
    );
    return { ...decode(ref.runId, [outcome, fields]), ordinal, sweep: sweep === 1, bytes, alreadyDone: new Set(done) };
  }

  async completeBatch(ref: RunRef, commit: BatchCommit): Promise<{ outcome: ShardOutcome; run: RunSnapshot }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const result = await runScript<[number, (string | null)[]]>(
      this.redis,
      'complete-batch',
      [run.state, run.pending, run.done, run.failures, this.keys.activeRun(ref.pipelineId, ref.userId), this.keys.sync(ref.pipelineId, ref.userId), run.pages],
      [
        ref.runId, commit.batchId, commit.processed, commit.skipped, commit.failed, commit.written, now(),
        commit.usage?.promptTokens ?? 0, commit.usage?.completionTokens ?? 0, commit.usage?.costMicros ?? 0, commit.deleted ?? 0,
        ...failureLines(commit.failures),
      ],
    );
    return decode(ref.runId, result);
  }

  /** Marks ids a full listing of `source` saw in this run; repeated marks are harmless. */
  async markSeen(ref: RunRef, source: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const seen = this.keys.run(ref.pipelineId, ref.userId, ref.runId).seen(source);
    const multi = this.redis.multi();
    // Chunked: one SADD with 100k arguments would block Redis and bloat the request.
    for (let i = 0; i < ids.length; i += SEEN_CHUNK) multi.sadd(seen, ...ids.slice(i, i + SEEN_CHUNK));
    // A run that fails leaves its seen set behind: it expires with the run's other keys.
    multi.pexpire(seen, RUN_TTL_MS);
    await multi.exec();
  }

  /**
   * Lists a run as running for the reconciler (`keys.runningRuns`). A separate command, not part of
   * the run's scripts: the index is one key of its own, in another slot on Redis Cluster. Entries
   * of runs that ended are dropped by the reconciler.
   */
  async track(ref: RunRef): Promise<void> {
    await this.redis.hsetnx(this.keys.runningRuns, runField(ref), JSON.stringify({ seq: 0, at: Date.now() }));
  }

  /** The cursor a registered page reads from ('' for a source's first page or an unknown one). */
  async pageCursor(ref: RunRef, pageId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.run(ref.pipelineId, ref.userId, ref.runId).pages, `cursor:${pageId}`)) ?? undefined;
  }

  /** Whether a shard was already counted (its work is done). */
  async isDone(ref: RunRef, shard: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.run(ref.pipelineId, ref.userId, ref.runId).done, shard)) === 1;
  }

  /** Ids the source's last listing held that this run's listing did not see: what its sweep deletes. */
  async unseenMembers(ref: RunRef, source: string): Promise<string[]> {
    return this.redis.sdiff(this.keys.members(ref.pipelineId, ref.userId, source), this.keys.run(ref.pipelineId, ref.userId, ref.runId).seen(source));
  }

  /** Counts a sweep once, and makes this run's listing the source's members. */
  async completeSweep(ref: RunRef, source: string, sweepId: string, deleted: number): Promise<{ outcome: ShardOutcome; run: RunSnapshot }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const result = await runScript<[number, (string | null)[]]>(
      this.redis,
      'complete-sweep',
      [
        run.state, run.pending, run.done, run.seen(source), this.keys.members(ref.pipelineId, ref.userId, source),
        this.keys.activeRun(ref.pipelineId, ref.userId), this.keys.sync(ref.pipelineId, ref.userId), run.failures, run.pages,
      ],
      [ref.runId, sweepId, deleted, now()],
    );
    return decode(ref.runId, result);
  }

  /** Adds LLM usage to a run when it is paid (add-usage.lua), apart from the batch's completion. */
  /**
   * Adds a paid call's (or a cache hit's) usage. With `answeredBy`, a wait the run shows on that
   * limiter key ends, unless its reason is `unlessReason` (a call in flight is not ended by another
   * call's answer): the new snapshot when one did.
   */
  async addUsage(ref: RunRef, usage: Usage, answeredBy = '', unlessReason = ''): Promise<RunSnapshot | undefined> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [outcome, fields] = await runScript<[number, (string | null)[]?]>(this.usageRedis, 'add-usage', [run.state], [
      usage.promptTokens, usage.completionTokens, usage.costMicros, usage.calls, usage.cachedCalls, answeredBy, unlessReason, Date.now(),
    ]);
    return outcome === 2 && fields ? toSnapshot(ref.runId, fields) : undefined;
  }

  async fail(ref: RunRef, reason: string): Promise<{ changed: boolean; run: RunSnapshot }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [changed, fields] = await runScript<[number, (string | null)[]]>(
      this.redis,
      'fail-run',
      [run.state, this.keys.activeRun(ref.pipelineId, ref.userId), run.pending, run.done, run.pages, run.failures],
      [ref.runId, reason.slice(0, 2000), now()],
    );
    return { changed: changed === 1, run: toSnapshot(ref.runId, fields) };
  }

  /**
   * Cancels a running run: status `cancelled` with its counts, pending cleared, the active-run slot
   * released, and workers told (pub/sub) to abort its shards. `changed` is false for a run already over.
   */
  async cancel(ref: RunRef): Promise<{ changed: boolean; run: RunSnapshot | undefined }> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [changed, fields] = await runScript<[number, (string | null)[]]>(
      this.redis,
      'cancel-run',
      [run.state, this.keys.activeRun(ref.pipelineId, ref.userId), run.pending, run.done, run.pages, run.failures],
      [ref.runId, now(), this.keys.cancelChannel, run.state],
    );
    return { changed: changed === 1, run: fields[0] === null ? undefined : toSnapshot(ref.runId, fields) };
  }

  /** The run of this pipeline the user has going, if any. */
  async activeRunId(pipelineId: string, userId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.activeRun(pipelineId, userId))) ?? undefined;
  }

  /**
   * Marks a run as waiting on a provider (an open circuit, a 429 pause, a call in flight since `sinceMs`), for progress
   * readers; not when a paid answer on that key came after `seenAtMs` (the wait was learned before the provider was back).
   */
  async setWaiting(ref: RunRef, waiting: { on: string; reason: string; untilMs: number; sinceMs?: number; seenAtMs?: number }): Promise<RunSnapshot | undefined> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const value = JSON.stringify({
      on: waiting.on, reason: waiting.reason, until: new Date(waiting.untilMs).toISOString(),
      ...(waiting.sinceMs === undefined ? {} : { since: new Date(waiting.sinceMs).toISOString() }),
    });
    const [changed, fields] = await runScript<[number, (string | null)[]]>(this.redis, 'set-waiting', [run.state], [value, now(), waiting.seenAtMs ?? '']);
    return changed ? toSnapshot(ref.runId, fields) : undefined;
  }

  /** A running run's snapshot with its seq moved on (for an event that changes no count), else undefined. */
  async touch(ref: RunRef): Promise<RunSnapshot | undefined> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [changed, fields] = await runScript<[number, (string | null)[]]>(this.redis, 'touch-run', [run.state], []);
    return changed ? toSnapshot(ref.runId, fields) : undefined;
  }

  /** Clears the run's wait if it has ended; the new snapshot when it did. */
  async clearEndedWait(ref: RunRef): Promise<RunSnapshot | undefined> {
    const run = this.keys.run(ref.pipelineId, ref.userId, ref.runId);
    const [changed, fields] = await runScript<[number, (string | null)[]]>(this.redis, 'clear-waiting', [run.state], [now()]);
    return changed ? toSnapshot(ref.runId, fields) : undefined;
  }

  async snapshot(ref: RunRef): Promise<RunSnapshot> {
    return toSnapshot(ref.runId, await this.redis.hmget(this.keys.run(ref.pipelineId, ref.userId, ref.runId).state, ...SNAPSHOT_FIELDS));
  }

  async status(ref: RunRef): Promise<RunStatus | undefined> {
    return ((await this.redis.hget(this.keys.run(ref.pipelineId, ref.userId, ref.runId).state, 'status')) ?? undefined) as RunStatus | undefined;
  }

  /** Per-source fields of a run: the `since` watermark fixed at start, and the run input. */
  async sourceContext(ref: RunRef, source: string): Promise<{ since?: string; input: Record<string, unknown>; connectionId?: string }> {
    const [since, input, connection] = await this.redis.hmget(this.keys.run(ref.pipelineId, ref.userId, ref.runId).state, `since:${source}`, 'input', 'connection');
    return {
      since: since ?? undefined,
      input: input ? (JSON.parse(input) as Record<string, unknown>) : {},
      ...(connection ? { connectionId: connection } : {}),
    };
  }

  async recentFailures(ref: RunRef): Promise<ItemFailure[]> {
    const lines = await this.redis.lrange(this.keys.run(ref.pipelineId, ref.userId, ref.runId).failures, 0, 49);
    return lines.map((line) => JSON.parse(line) as ItemFailure);
  }
}

/** A run's field in the index of running runs. */
export const runField = (ref: RunRef) => JSON.stringify([ref.pipelineId, ref.userId, ref.runId]);

/** The same fields, in the same order, as src/lua/run-snapshot.lua. */
const SNAPSHOT_FIELDS = [
  'status', 'seq', 'discovered', 'processed', 'skipped', 'failed', 'written', 'totalSum', 'totalKnown', 'sources',
  'startedAt', 'finishedAt', 'error', 'pipeline', 'user', 'promptTokens', 'completionTokens', 'costMicros', 'waiting', 'deleted',
  'llmCalls', 'cachedCalls',
];

const SEEN_CHUNK = 1000;
/** As in expire-run.lua. */
const RUN_TTL_MS = 7 * 24 * 3600 * 1000;

const now = () => new Date().toISOString();

function failureLines(failures: readonly ItemFailure[]): string[] {
  return failures.slice(0, 50).map((f) => JSON.stringify({ id: f.id, reason: f.reason.slice(0, 500) }));
}

function decode(runId: string, [outcome, fields]: [number, (string | null)[]]): { outcome: ShardOutcome; run: RunSnapshot } {
  return { outcome: outcome === 2 ? 'completed' : outcome === 1 ? 'recorded' : 'ignored', run: toSnapshot(runId, fields) };
}

function toSnapshot(runId: string, fields: (string | null)[]): RunSnapshot {
  const [status, seq, discovered, processed, skipped, failed, written, totalSum, totalKnown, sources, startedAt, finishedAt, error, pipeline, user, promptTokens, completionTokens, costMicros, waiting, deleted, llmCalls, cachedCalls] =
    fields;
  const int = (v: string | null | undefined) => Number(v ?? 0);
  const totalIsKnown = int(sources) > 0 && int(totalKnown) >= int(sources);
  return {
    runId,
    pipeline: pipeline ?? '',
    userId: user ?? '',
    status: (status ?? 'failed') as RunStatus,
    counts: {
      discovered: int(discovered),
      processed: int(processed),
      skipped: int(skipped),
      failed: int(failed),
      written: int(written),
      ...(int(deleted) > 0 ? { deleted: int(deleted) } : {}),
      ...(totalIsKnown ? { total: int(totalSum) } : {}),
    },
    startedAt: startedAt ?? '',
    ...(finishedAt ? { finishedAt } : {}),
    ...(error ? { error } : {}),
    ...(int(promptTokens) + int(completionTokens) + int(cachedCalls) > 0
      ? {
          usage: {
            promptTokens: int(promptTokens),
            completionTokens: int(completionTokens),
            costUsd: int(costMicros) / 1e6,
            calls: int(llmCalls),
            cachedCalls: int(cachedCalls),
          },
        }
      : {}),
    ...(waiting && status === 'running' ? { waiting: JSON.parse(waiting) as RunSnapshot['waiting'] } : {}),
    seq: int(seq),
  };
}
