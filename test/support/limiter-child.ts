/**
 * A process hammering one limiter key with many concurrent callers; prints the grant times (Redis server clock) as JSON.
 * argv: prefix key rpm tpm tokensPerCall callers durationMs
 */
import { createLimiter } from '../../src/limiter/index.js';
import { createKeys } from '../../src/store/keys.js';
import { createRedis } from '../../src/store/redis.js';

const [prefix, key, rpm, tpm, tokens, callers, duration] = process.argv.slice(2);
const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const limiter = createLimiter(redis, createKeys(prefix!), { [key!]: { rpm: Number(rpm), tpm: Number(tpm) } });
const grants: number[] = [];
const end = Date.now() + Number(duration);
await Promise.all(
  Array.from({ length: Number(callers) }, async () => {
    while (Date.now() < end) {
      const { at } = await limiter.acquire(key!, Number(tokens), 10_000);
      grants.push(at);
    }
  }),
);
redis.disconnect();
process.stdout.write(JSON.stringify(grants));
