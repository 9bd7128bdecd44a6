/**
 * A connector whose first page forks `forks` cursors, for the runtime's fork tests. The root chain
 * has two pages; each fork has two pages of `perFork / 2` records. Every read is counted in Redis
 * (`<key>:reads`, cursor -> reads) so tests in other processes see them; with `barrier`, a fork's
 * first page waits (BLPOP, bounded) until another fork page is being read, so a test can show two
 * pages in flight at once without timing anything.
 */
import { Redis } from 'ioredis';
import { z } from 'zod';
import { contentHash, defineConnector } from 'sluice';

const params = z.object({
  forks: z.int().min(0),
  perFork: z.int().min(2),
  /** Redis key prefix of the counters. */
  key: z.string(),
  redisUrl: z.string(),
  barrier: z.boolean().optional(),
});

let client: Redis | undefined;
const redisFor = (url: string) => (client ??= new Redis(url));

/** Closes this process's counter connection. */
export function closeForkingRedis(): void {
  client?.disconnect();
  client = undefined;
}

// Counts a page in flight and keeps the highest count seen.
const ENTER = `local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
return n`;

export const forking = defineConnector({
  id: 'forking',
  streams: {
    records: {
      changeFeed: 'full',
      params,
      async read(ctx, cursor) {
        const { forks, perFork, key, redisUrl, barrier = false } = ctx.params;
        const redis = redisFor(redisUrl);
        await redis.hincrby(`${key}:reads`, cursor ?? 'root', 1);
        const record = (id: string) => ({ id, hash: contentHash({ id }), data: { id } });
        if (cursor === undefined) {
          return { records: [record('root-0'), record('root-1')], nextCursor: 'root:1', fork: Array.from({ length: forks }, (_, k) => `f${k}:0`) };
        }
        if (cursor === 'root:1') return { records: [record('root-2'), record('root-3')] };
        const [fork, part] = cursor.split(':');
        await redis.eval(ENTER, 2, `${key}:inflight`, `${key}:max`);
        try {
          if (barrier && part === '0') {
            // The first fork page to arrive waits for a second one; the second releases it.
            const arrived = await redis.incr(`${key}:arrived`);
            if (arrived === 1) {
              // A connection of its own: BLPOP blocks it.
              const blocking = new Redis(redisUrl);
              await blocking.blpop(`${key}:release`, 20).finally(() => blocking.disconnect());
            } else if (arrived === 2) await redis.lpush(`${key}:release`, '1');
          }
          const half = perFork / 2;
          const start = part === '0' ? 0 : half;
          const records = Array.from({ length: part === '0' ? half : perFork - half }, (_, i) => record(`${fork}-${start + i}`));
          return { records, ...(part === '0' ? { nextCursor: `${fork}:1` } : {}) };
        } finally {
          await redis.decr(`${key}:inflight`);
        }
      },
    },
  },
});
