import { setTimeout as delay } from 'node:timers/promises';
import type { ProgressFollower } from '../progress/follower.js';
import type { ProgressPage } from '../progress/reader.js';
import type { Sluice } from '../runtime/sluice.js';
import { isConnectionError } from '../store/redis-health.js';
import { isAfterStreamId } from '../util/stream-id.js';
import { toMessage, type StreamMessage } from './sse.js';

export type HubListener = (messages: StreamMessage[]) => void;

export interface HubOptions {
  /** Longest XREAD block; a new stream interrupts it at once with CLIENT UNBLOCK. */
  blockMs: number;
  /** Entries read per stream per XREAD. */
  count: number;
  /** Name of the blocking connection (after the app's prefix), to spot it in CLIENT LIST. */
  connectionName: string;
}

interface Watched {
  /** Last id read from this stream: the next XREAD continues after it. */
  lastId: string;
  listeners: Set<HubListener>;
}

/**
 * One reader per server process for every watched user stream: a follower connection runs one
 * blocking read over all of them and fans each entry out to that user's subscribers, so 1,000 open
 * streams cost one blocked Redis client, not 1,000. Streams nobody watches drop out of the read.
 * On a Redis Cluster the follower polls each stream in its own slot instead (see cluster-follower.ts).
 */
export class ProgressHub {
  /** By user id. */
  private readonly watched = new Map<string, Watched>();
  private follower: ProgressFollower | undefined;
  /** Bumped when a stream is added; a read of an older generation misses it. */
  private generation = 0;
  private readGeneration = 0;
  private reading = false;
  private unblocking = false;
  private closed = false;
  private failing = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly sluice: Sluice,
    private readonly options: HubOptions,
  ) {}

  /**
   * Delivers entries of the user's stream newer than the hub's position to `listener`. A stream not yet
   * watched is read from `fromId`; one already watched continues from where it is, so the caller
   * replays older entries itself (XRANGE after subscribing) and drops ids it already sent.
   */
  subscribe(userId: string, fromId: string, listener: HubListener): () => void {
    if (this.closed) throw new Error('progress hub is closed');
    let stream = this.watched.get(userId);
    if (!stream) {
      stream = { lastId: fromId, listeners: new Set() };
      this.watched.set(userId, stream);
      this.generation++;
      this.kick();
    }
    stream.listeners.add(listener);
    const watched = stream;
    return () => {
      watched.listeners.delete(listener);
      if (watched.listeners.size === 0 && this.watched.get(userId) === watched) this.watched.delete(userId);
    };
  }

  get streamCount(): number {
    return this.watched.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watched.clear();
    this.wake?.();
    this.follower?.close();
    await this.loop;
  }

  private kick(): void {
    if (!this.loop) {
      this.follower = this.sluice.followProgress(this.options.connectionName);
      this.loop = this.run();
      return;
    }
    if (this.wake) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
      return;
    }
    if (this.reading) void this.unblock();
  }

  private async run(): Promise<void> {
    const follower = this.follower!;
    while (!this.closed) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const after = new Map([...this.watched].map(([userId, stream]) => [userId, stream.lastId]));
      this.readGeneration = this.generation;
      this.reading = true;
      let pages: Map<string, ProgressPage>;
      try {
        pages = await follower.read(after, { count: this.options.count, blockMs: this.options.blockMs });
      } catch (error) {
        if (this.closed) break;
        // Redis went away: ioredis reconnects; subscribers keep waiting and miss nothing,
        // since every stream continues from its last id. Say so once per outage, not per retry;
        // a lost connection is already told by the runtime's own Redis line.
        if (!this.failing) {
          const level = isConnectionError(error) ? 'debug' : 'warn';
          this.sluice.log[level]({ err: error instanceof Error ? error.message : String(error) }, 'progress hub cannot read; retrying');
        }
        this.failing = true;
        await delay(500);
        continue;
      } finally {
        this.reading = false;
      }
      if (this.failing) this.sluice.log.info('progress hub reading again');
      this.failing = false;
      for (const [userId, page] of pages) this.deliver(userId, page);
    }
  }

  private deliver(userId: string, page: ProgressPage): void {
    const stream = this.watched.get(userId);
    if (!stream) return;
    const messages: StreamMessage[] = [];
    for (const entry of page.entries) {
      // A stream dropped and watched again while a read was out may get entries it has passed.
      if (!isAfterStreamId(entry.id, stream.lastId)) continue;
      stream.lastId = entry.id;
      messages.push(toMessage(entry));
    }
    // Entries that could not be read are skipped, but the next read still continues after them.
    if (page.lastId !== undefined && isAfterStreamId(page.lastId, stream.lastId)) stream.lastId = page.lastId;
    if (messages.length === 0) return;
    for (const listener of [...stream.listeners]) {
      try {
        listener(messages);
      } catch (error) {
        this.sluice.log.error({ userId, err: error instanceof Error ? error.message : String(error) }, 'progress hub: a subscriber failed');
      }
    }
  }

  /**
   * Interrupts the blocked XREAD so the next one includes the new stream. The UNBLOCK can reach
   * Redis before the XREAD does (two connections); then it finds nothing blocked, so try again
   * briefly while that read is still out. The block timeout bounds the wait regardless.
   */
  private async unblock(): Promise<void> {
    if (this.unblocking) return;
    this.unblocking = true;
    try {
      for (let attempt = 0; attempt < 100 && this.reading && !this.closed && this.readGeneration < this.generation; attempt++) {
        if (await this.follower!.interrupt()) return;
        await delay(2);
      }
    } catch {
      // The block timeout still brings the new stream in.
    } finally {
      this.unblocking = false;
    }
  }
}
