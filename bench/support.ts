import { Redis } from 'ioredis';

/** Deletes every key of a prefix, Sluice's (`prefix:*`) and BullMQ's (`{prefix}:*`), by SCAN + UNLINK. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for (const pattern of [`${prefix}:*`, `{${prefix}}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return deleted;
}

/** The same, on a connection of its own. */
export async function deletePrefixAt(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return await deletePrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** A positive integer from the environment, or the fallback; anything else is a clear error. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}
