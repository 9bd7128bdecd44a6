import { duplicateRedis, type RedisClient } from '../store/redis.js';

/** What a cancelled shard's signal carries as its reason: connectors and SDKs reject with it. */
export function runCancelledReason(): DOMException {
  return new DOMException('run cancelled', 'AbortError');
}

export interface ShardSignal {
  readonly signal: AbortSignal;
  /** The shard is done: stop tracking it. */
  release(): void;
}

/**
 * Aborts the in-flight shards of cancelled runs in this worker process. `cancel-run.lua` publishes
 * the run's state key on one channel; each process holds one subscriber connection and a map from
 * run to the controllers of its running shards. Pub/sub costs nothing while no run is cancelled (no
 * polling per shard) and reaches a hung upstream call at once. A shard tracks itself before it
 * checks the run's status, so a cancel either shows in that check or reaches its controller.
 */
export class RunCancellation {
  private readonly subscriber: RedisClient;
  private readonly shards = new Map<string, Set<AbortController>>();
  private readonly subscribed: Promise<unknown>;

  constructor(redis: RedisClient, channel: string) {
    this.subscriber = duplicateRedis(redis);
    this.subscriber.on('message', (_channel: string, runKey: string) => this.abort(runKey));
    // A failed SUBSCRIBE surfaces through ready(); ioredis resubscribes after a reconnect.
    this.subscribed = this.subscriber.subscribe(channel);
    this.subscribed.catch(() => undefined);
  }

  ready(): Promise<unknown> {
    return this.subscribed;
  }

  /** A signal for one shard of the run whose state key is `runKey`. */
  track(runKey: string): ShardSignal {
    const controller = new AbortController();
    let set = this.shards.get(runKey);
    if (!set) this.shards.set(runKey, (set = new Set()));
    set.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        set.delete(controller);
        if (set.size === 0 && this.shards.get(runKey) === set) this.shards.delete(runKey);
      },
    };
  }

  private abort(runKey: string): void {
    for (const controller of this.shards.get(runKey) ?? []) controller.abort(runCancelledReason());
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
