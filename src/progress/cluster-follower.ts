import type { Cluster } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';
import { toPage, type ProgressPage } from './reader.js';

type RawEntry = [id: string, fields: string[]];

/** How often a cluster follower looks for new entries while none come. */
export const CLUSTER_POLL_MS = 100;

/**
 * The progress follower (see follower.ts) on a Redis Cluster. One XREAD cannot span hash slots
 * (CROSSSLOT, even on one node), and each user's stream has a slot of its own, so a blocking read
 * would need one connection per watched user. Instead each round sends one non-blocking XREAD per
 * user at once (the client pipelines them to each node) and, when none has news, waits `pollMs`
 * before the next round, until `blockMs` has passed. Cost: watched users × 1000/pollMs reads a
 * second; delay: up to `pollMs`, below the publisher's default 250 ms coalescing of progress.
 * A round waits at most `pollMs` for its reads: a user's read still out (its master does not
 * answer) is not sent again, and the users on the other masters go on.
 */
export function createClusterProgressFollower(cluster: Cluster, keys: KeyBuilder, pollMs = CLUSTER_POLL_MS) {
  /** One read out per user at most; its page waits in `ready` for the next `read` to return it. */
  const inFlight = new Map<string, Promise<void>>();
  const ready = new Map<string, ProgressPage>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  let interrupted = false;
  let closed = false;

  const send = (userId: string, lastId: string, count: number): Promise<void> => {
    let out = inFlight.get(userId);
    if (out) return out;
    out = (async () => {
      try {
        const result = (await cluster.xread('COUNT', count, 'STREAMS', keys.progress(userId).events, lastId)) as [string, RawEntry[]][] | null;
        const raw = result?.[0]?.[1] ?? [];
        if (raw.length > 0) ready.set(userId, toPage(raw, count));
      } catch (error) {
        failure = error;
      } finally {
        inFlight.delete(userId);
      }
    })();
    inFlight.set(userId, out);
    return out;
  };

  /** Waits `ms`, or less when interrupted or closed. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  /** Pages of watched users (a page of a user no longer watched is dropped). */
  const take = (after: ReadonlyMap<string, string>): Map<string, ProgressPage> => {
    const pages = new Map([...ready].filter(([userId]) => after.has(userId)));
    ready.clear();
    return pages;
  };

  return {
    async read(after: ReadonlyMap<string, string>, { count, blockMs }: { count: number; blockMs: number }): Promise<Map<string, ProgressPage>> {
      interrupted = false;
      const until = Date.now() + blockMs;
      for (;;) {
        const roundEnd = Date.now() + pollMs;
        const round = [...after].map(([userId, lastId]) => send(userId, lastId, count));
        await Promise.race([Promise.all(round), pause(pollMs)]);
        wake?.();
        if (ready.size > 0) return take(after);
        if (failure !== undefined) {
          const error = failure;
          failure = undefined;
          throw error;
        }
        if (interrupted || closed || Date.now() >= until) return new Map();
        await pause(Math.min(roundEnd, until) - Date.now());
        if (interrupted || closed) return take(after);
      }
    },
    async interrupt() {
      interrupted = true;
      wake?.();
      return true;
    },
    close() {
      closed = true;
      wake?.();
    },
  };
}
