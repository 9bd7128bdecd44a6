import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createKeys, type KeyBuilder } from '../../src/store/keys.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key of a prefix: Sluice's own (`prefix:`) and BullMQ's (`{prefix}:`). */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url);
  try {
    for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Sluice's Redis and key builder for a prefix, on a connection of their own, to look behind the
 * facade: tests may, product code goes through `Sluice`.
 */
export async function withStore<T>(prefix: string, use: (store: { redis: Redis; keys: KeyBuilder }) => Promise<T>, url = REDIS_URL): Promise<T> {
  const redis = new Redis(url);
  try {
    return await use({ redis, keys: createKeys(prefix) });
  } finally {
    redis.disconnect();
  }
}
