import { InvalidArgumentError } from 'commander';
import type { Sluice } from '../runtime/sluice.js';

export interface CommonOptions {
  config?: string;
  redis?: string;
}

/** Loads the config (validated before anything is enqueued) and connects to Redis. */
export async function openSluice(options: CommonOptions): Promise<Sluice> {
  // Loaded here, not on import: `sluice --help` and `sluice token` need neither jiti nor BullMQ.
  const [{ loadConfig }, { createSluice }] = await Promise.all([import('../config/load-config.js'), import('../runtime/sluice.js')]);
  const { config } = await loadConfig(options.config);
  const redis = options.redis ?? process.env.REDIS_URL ?? config.redis;
  const prefix = process.env.SLUICE_PREFIX ?? config.prefix;
  return createSluice({ ...config, ...(redis ? { redis } : {}), ...(prefix ? { prefix } : {}) });
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
