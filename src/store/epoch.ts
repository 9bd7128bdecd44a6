import { randomUUID } from 'node:crypto';
import type { RedisClient } from './redis.js';

/** Redis no longer holds the state this process saw: what the marker was, and what it is now. */
export interface StateLoss {
  previous: string;
  /** The marker found (another process already made a new one), or null when it was gone. */
  found: string | null;
  /** One line for logs and terminals. */
  message: string;
}

/**
 * The state marker: `<prefix>:epoch`, a random id created once (SET NX) by the first process that
 * uses Redis. While Redis keeps its data the marker never changes; a Redis that restarted empty,
 * was flushed, or failed over to a replica without the data has none (or a newer one). Each
 * process remembers the marker it saw and checks it on every reconnect (the `ready` event: the
 * moment a restart becomes visible) and every `intervalMs`; a change is reported once to the
 * listeners, and the process adopts the new marker. One key, so fine on Redis Cluster.
 */
export class StateEpoch {
  private known: Promise<string> | undefined;
  private checking: Promise<StateLoss | undefined> | undefined;
  private readonly listeners = new Set<(loss: StateLoss) => void>();
  private timer: NodeJS.Timeout | undefined;
  private readonly onReady = () => void this.check().catch(() => undefined);

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly intervalMs = 5000,
  ) {}

  /** The marker this process works under, created if Redis has none yet. Starts the watch. */
  current(): Promise<string> {
    this.watch();
    return this.known ?? this.adopt();
  }

  /** The marker in Redis now, without creating one (null: this Redis holds no Sluice state). */
  async read(): Promise<string | null> {
    return this.redis.get(this.key);
  }

  /** Calls `listener` when Redis lost the state; returns the function that stops it. */
  onLost(listener: (loss: StateLoss) => void): () => void {
    this.listeners.add(listener);
    void this.current().catch(() => undefined);
    return () => this.listeners.delete(listener);
  }

  /** Compares Redis's marker with the one known; reports and adopts a change. Concurrent calls share one check. */
  check(): Promise<StateLoss | undefined> {
    return (this.checking ??= this.compare().finally(() => (this.checking = undefined)));
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.redis.off('ready', this.onReady);
  }

  private watch(): void {
    if (this.timer) return;
    this.redis.on('ready', this.onReady);
    this.timer = setInterval(this.onReady, this.intervalMs);
    this.timer.unref();
  }

  private async compare(): Promise<StateLoss | undefined> {
    if (!this.known) return undefined;
    const previous = await this.known;
    const found = await this.redis.get(this.key);
    if (found === previous) return undefined;
    await this.adopt();
    const loss: StateLoss = {
      previous,
      found,
      message:
        `Redis lost Sluice's state: its marker ${this.key} ${found === null ? 'is gone' : 'changed'} ` +
        '(Redis restarted empty, was flushed, or failed over without the data); runs that were going are gone, start them again',
    };
    for (const listener of [...this.listeners]) listener(loss);
    return loss;
  }

  /** Takes Redis's marker (creating it if missing) as the known one; forgets it again if that fails. */
  private adopt(): Promise<string> {
    const adopting = (async () => {
      await this.redis.set(this.key, randomUUID(), 'NX');
      const marker = await this.redis.get(this.key);
      if (marker === null) throw new Error(`could not create the state marker ${this.key}`);
      return marker;
    })();
    this.known = adopting;
    adopting.catch(() => {
      if (this.known === adopting) this.known = undefined;
    });
    return adopting;
  }
}
