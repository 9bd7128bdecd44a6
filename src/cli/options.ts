import { InvalidArgumentError } from 'commander';
import type { Sluice } from '../runtime/sluice.js';

export interface CommonOptions {
  config?: string;
  redis?: string;
}

/**
 * Loads the config (validated before anything is enqueued) and connects to Redis. `logLevel` is the
 * runtime log's level unless SLUICE_LOG_LEVEL says otherwise: `info` for the long-running worker and
 * server, `warn` by default so one-shot commands print only their own human lines.
 */
export async function openSluice(options: CommonOptions, logLevel = 'warn'): Promise<Sluice> {
  // Loaded here, not on import: `sluice --help` and `sluice token` need neither jiti nor BullMQ.
  const [{ loadConfig }, { createSluice }, { createLogger }] = await Promise.all([
    import('../config/load-config.js'),
    import('../runtime/sluice.js'),
    import('../runtime/logger.js'),
  ]);
  const logger = createLogger(process.env, logLevel);
  const { config } = await loadConfig(options.config);
  const { prefixSchema, redisUrlSchema } = await import('../config/validate.js');
  const [{ checkRedis }, { DEFAULT_REDIS_URL }] = await Promise.all([import('../store/check-redis.js'), import('../store/redis.js')]);
  const redis = options.redis ?? process.env.REDIS_URL ?? config.redis;
  const redisFrom = options.redis !== undefined ? '--redis' : process.env.REDIS_URL !== undefined ? 'REDIS_URL' : 'the config';
  const invalid = redis === undefined ? undefined : redisUrlSchema.safeParse(redis).error;
  if (invalid) throw new Error(`${redisFrom} is not a Redis URL: ${invalid.issues[0]?.message}`);
  // The environment's prefix obeys the config's rule: it names keys and queues.
  const prefix = process.env.SLUICE_PREFIX ?? config.prefix;
  if (process.env.SLUICE_PREFIX !== undefined && !prefixSchema.safeParse(process.env.SLUICE_PREFIX).success) {
    throw new Error(`SLUICE_PREFIX "${process.env.SLUICE_PREFIX}" is invalid: use 1-32 letters, digits, _ or -`);
  }
  // Reachable, and the password right, before any command goes on (serve says it listens after this).
  await checkRedis(redis ?? DEFAULT_REDIS_URL);
  return createSluice({ ...config, ...(redis ? { redis } : {}), ...(prefix ? { prefix } : {}) }, { logger });
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError(`expected a JSON object, got ${JSON.stringify(value)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object like {"repos":["octo/hello"]}');
  return parsed as Record<string, unknown>;
}

export function portNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be 0-65535, got "${value}"`);
    return n;
  };
}
