import type { Redis } from 'ioredis';
import { duplicateRedis, isCluster, type RedisClient } from '../store/redis.js';
import { createClusterProgressFollower } from './cluster-follower.js';
import type { KeyBuilder } from '../store/keys.js';
import { toPage, type ProgressPage } from './reader.js';

/**
 * Reads many users' progress streams with one blocking XREAD on a connection of its own, which
 * `interrupt` can end early from the shared connection (CLIENT UNBLOCK): a server adding a user to
 * the read need not wait out the block.
 */
export interface ProgressFollower {
  /** Pages of the users whose streams have entries after the given ids; empty when `blockMs` passes first or on interrupt. */
  read(after: ReadonlyMap<string, string>, options: { count: number; blockMs: number }): Promise<Map<string, ProgressPage>>;
  /** Ends a read that is blocked now; false when none was (yet) blocked in Redis. */
  interrupt(): Promise<boolean>;
  close(): void;
}

/**
 * `name` is the connection's CLIENT SETNAME, to spot it in CLIENT LIST. On a cluster the follower
 * polls instead (see createClusterProgressFollower): a blocking XREAD cannot span slots.
 */
export function createProgressFollower(shared: RedisClient, keys: KeyBuilder, name: string): ProgressFollower {
  if (isCluster(shared)) return createClusterProgressFollower(shared, keys);
  return createBlockingFollower(shared, keys, name);
}

function createBlockingFollower(shared: Redis, keys: KeyBuilder, name: string): ProgressFollower {
  const connection = duplicateRedis(shared, name);
  /** CLIENT ID of the blocking connection; a reconnect gives it a new one, fetched before the next read. */
  let clientId: number | undefined;
  connection.on('close', () => (clientId = undefined));
  // A read pending while the connection waits to reconnect is never settled by disconnect() (the
  // client drops its queue silently then): close() settles it, so a closing reader never hangs.
  let stop!: (error: Error) => void;
  const stopped = new Promise<never>((_, reject) => (stop = reject));
  stopped.catch(() => undefined);
  const read = async (after: ReadonlyMap<string, string>, { count, blockMs }: { count: number; blockMs: number }) => {
    clientId ??= (await connection.client('ID')) as number;
    const users = [...after.keys()];
    const streams = new Map(users.map((userId) => [keys.progress(userId).events, userId]));
    const result = (await connection.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...streams.keys(), ...users.map((u) => after.get(u)!))) as
      | [string, [string, string[]][]][]
      | null;
    const pages = new Map<string, ProgressPage>();
    for (const [stream, raw] of result ?? []) pages.set(streams.get(stream)!, toPage(raw, count));
    return pages;
  };
  return {
    read: (after, options) => Promise.race([read(after, options), stopped]),
    async interrupt() {
      return clientId !== undefined && (await shared.client('UNBLOCK', clientId)) === 1;
    },
    close() {
      stop(new Error('progress follower closed'));
      connection.disconnect();
    },
  };
}
