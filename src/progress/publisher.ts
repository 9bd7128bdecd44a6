import type { RedisClient } from '../store/redis.js';
import type { StateEpoch } from '../store/epoch.js';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';
import { PROGRESS_EVENT_VERSION, type ItemFailure, type RunEvent, type RunSnapshot } from './events.js';

export interface ProgressPublisherOptions {
  maxEvents: number;
  intervalMs: number;
  /** Runs kept in a user's snapshot; older finished ones are dropped. Default 50. */
  maxRuns?: number;
  /**
   * The state marker events are written under: an event from before Redis lost its state is refused
   * (see publish-progress.lua). Without it nothing is checked.
   */
  epoch?: StateEpoch;
}

interface Pending {
  latest?: RunSnapshot;
  lastSentAt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Writes progress events. Final events go out at once; `run.progress` is coalesced per run so a
 * 10,000-record run emits a handful of events, each with the full counts.
 */
export class ProgressPublisher {
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: KeyBuilder,
    private readonly options: ProgressPublisherOptions,
  ) {}

  /** Publishes a run event now. Returns its stream id, or null if a newer state was already out. */
  async publishRun(
    type: 'run.started' | 'run.progress' | 'run.completed' | 'run.failed' | 'run.cancelled',
    run: RunSnapshot,
    options: { note?: string } = {},
  ): Promise<string | null> {
    if (type !== 'run.progress') this.cancel(run.runId);
    const base = { v: PROGRESS_EVENT_VERSION, runId: run.runId, pipeline: run.pipeline, at: new Date().toISOString(), run } as const;
    const event: RunEvent = type === 'run.progress' && options.note ? { ...base, type, note: options.note } : { ...base, type };
    return this.append(run, run.seq, event, run);
  }

  async publishItemFailed(run: { runId: string; pipeline: string; userId: string }, item: ItemFailure): Promise<string | null> {
    const event: RunEvent = { v: PROGRESS_EVENT_VERSION, type: 'item.failed', runId: run.runId, pipeline: run.pipeline, at: new Date().toISOString(), item };
    return this.append(run, 0, event, undefined);
  }

  /** Coalesced progress: at most one event per run per interval, always carrying the latest counts. */
  report(run: RunSnapshot): void {
    const entry = this.pending.get(run.runId) ?? { lastSentAt: 0 };
    this.pending.set(run.runId, entry);
    if (!entry.latest || entry.latest.seq < run.seq) entry.latest = run;
    if (entry.timer) return;
    const wait = Math.max(0, entry.lastSentAt + this.options.intervalMs - Date.now());
    entry.timer = setTimeout(() => this.send(run.runId), wait);
  }

  /** Sends every coalesced event still waiting; call before a worker exits. */
  async flush(): Promise<void> {
    for (const runId of [...this.pending.keys()]) this.send(runId);
    await Promise.allSettled([...this.inFlight]);
  }

  private send(runId: string): void {
    const entry = this.pending.get(runId);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.pending.delete(runId);
    if (!entry.latest) return;
    const latest = entry.latest;
    const task = this.publishRun('run.progress', latest)
      .catch(() => undefined) // a lost progress event is repaired by the next one, which carries full counts
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    // Remember when we sent so the next report waits out the interval.
    this.pending.set(runId, { lastSentAt: Date.now() });
    setTimeout(() => {
      const idle = this.pending.get(runId);
      if (idle && !idle.latest && !idle.timer) this.pending.delete(runId);
    }, this.options.intervalMs).unref();
  }

  private cancel(runId: string): void {
    const entry = this.pending.get(runId);
    if (entry) clearTimeout(entry.timer);
    this.pending.delete(runId);
  }

  /**
   * Writes the event under the state marker this process knows. Refused as written under another
   * marker, the marker is checked at once: if the run's own state is there (a run started after the
   * loss, not a ghost from before it), the event goes out under Redis's marker and stamps the user's
   * copy with it: a process that wrote the user's progress under the old marker before it noticed
   * the loss must not leave that user's later events refused.
   */
  private async append(ref: { runId: string; pipeline: string; userId: string }, seq: number, event: RunEvent, run: RunSnapshot | undefined): Promise<string | null> {
    const epoch = this.options.epoch;
    const marker = epoch ? await epoch.current() : '';
    const id = await this.write(ref.userId, ref.runId, seq, event, run, marker);
    if (id !== 0) return id;
    await epoch!.check();
    const fresh = await epoch!.current();
    if ((await this.redis.hexists(this.keys.run(ref.pipeline, ref.userId, ref.runId).state, 'status')) === 0) return null;
    const again = await this.write(ref.userId, ref.runId, seq, event, run, fresh, true);
    return again === 0 ? null : again;
  }

  /** `stamp`: set the user's copy of the marker to `marker`, as a run.started event does. */
  private async write(userId: string, runId: string, seq: number, event: RunEvent, run: RunSnapshot | undefined, marker: string, stamp = false): Promise<string | null | 0> {
    const keys = this.keys.progress(userId);
    const id = await runScript<string | null | 0>(this.redis, 'publish-progress', [keys.events, keys.snapshot, keys.epoch], [
      runId,
      seq,
      JSON.stringify(event),
      run ? JSON.stringify(run) : '',
      this.options.maxEvents,
      this.options.maxRuns ?? 50,
      marker,
      stamp || event.type === 'run.started' ? '1' : '0',
    ]);
    return id ?? null;
  }
}
