import type { Cluster } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';
import { toPage, type ProgressPage } from './reader.js';

type RawEntry = [id: string, fields: string[]];

/** How often a cluster follower looks for new entries while none come. */
export const CLUSTER_POLL_MS = 100;

/**
 * The progress follower (see follower.ts) on a Redis Cluster. One XREAD cannot span hash slots (CROSSSLOT, even on one node),
 * and each user's stream has a slot of its own, so a blocking read would need one connection per
 * watched user. Instead each round sends one non-blocking XREAD per user at once (the client
 * pipelines them to each node) and, when none has news, waits `pollMs` before the next round, until
 * `blockMs` has passed. Cost: watched users × 1000/pollMs reads a second; delay: up to `pollMs`,
 * below the publisher's default 250 ms coalescing of progress.
 */
export function createClusterProgressFollower(cluster: Cluster, keys: KeyBuilder, pollMs = CLUSTER_POLL_MS) {
  let wake: (() => void) | undefined;
  let interrupted = false;
  let closed = false;
  return {
    async read(after: ReadonlyMap<string, string>, { count, blockMs }: { count: number; blockMs: number }): Promise<Map<string, ProgressPage>> {
      interrupted = false;
      const until = Date.now() + blockMs;
      for (;;) {
        const pages = await readRound(cluster, keys, after, count);
        if (pages.size > 0 || interrupted || closed) return pages;
        const left = until - Date.now();
        if (left <= 0) return pages;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(pollMs, left));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (interrupted || closed) return new Map();
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

async function readRound(cluster: Cluster, keys: KeyBuilder, after: ReadonlyMap<string, string>, count: number): Promise<Map<string, ProgressPage>> {
  const results = await Promise.all(
    [...after].map(async ([userId, lastId]) => {
      const result = (await cluster.xread('COUNT', count, 'STREAMS', keys.progress(userId).events, lastId)) as [string, RawEntry[]][] | null;
      return [userId, result?.[0]?.[1] ?? []] as const;
    }),
  );
  const pages = new Map<string, ProgressPage>();
  for (const [userId, raw] of results) if (raw.length > 0) pages.set(userId, toPage(raw, count));
  return pages;
}
