import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createLimiter, type LimiterOptions, type LimitSpec } from '../../src/limiter/index.js';
import { createKeys } from '../../src/store/keys.js';
import { deletePrefix, uniquePrefix } from './redis.js';

/**
 * Limiters on a real Redis for one test file, each under a prefix of its own (key `llm:m`), every
 * prefix deleted after each test. Call at the top of the file.
 */
export function limiterHarness(name: string) {
  let redis: Redis | undefined;
  const used: string[] = [];
  beforeAll(() => {
    redis = new Redis();
  });
  afterAll(() => redis?.disconnect());
  afterEach(async () => {
    await Promise.all(used.splice(0).map((p) => deletePrefix(p)));
  });
  const connection = () => {
    if (!redis) throw new Error('limiterHarness: Redis is connected in beforeAll');
    return redis;
  };
  return {
    redis: connection,
    /** A fresh prefix, deleted after the test. */
    prefix() {
      const prefix = uniquePrefix(name);
      used.push(prefix);
      return prefix;
    },
    limiterFor(limits: LimitSpec, options: LimiterOptions = {}) {
      const prefix = uniquePrefix(name);
      used.push(prefix);
      const keys = createKeys(prefix);
      return { limiter: createLimiter(connection(), keys, { 'llm:m': limits }, options), keys, prefix };
    },
  };
}
