import type { RedisClient } from '../../store/redis.js';
import type { LimiterOptions, LimitSpec } from '../../limiter/types.js';
import type { KeyBuilder } from '../../store/keys.js';
import { globLiteral, scanKeys } from './scan.js';

/** One limiter key's state, read without changing it. */
export interface LimiterState {
  key: string;
  /** From the config (`limits`, `llm.providers.*.limits`); {} when none. */
  configured: LimitSpec;
  /** What the provider's headers advertise. */
  advertised: { rpm?: number; tpm?: number };
  /** Cut by 429s, growing back while none come. */
  learned: { rpm?: number; tpm?: number };
  /** The limits in force: the smallest set of configured, advertised and learned (before pacing). */
  effective: { rpm?: number; tpm?: number };
  /** Requests and tokens the buckets hold now (negative: slots reserved ahead); absent while unlimited. */
  budget: { requests?: number; tokens?: number };
  /** Every worker holds off this key until then (a 429's retry-after). */
  pausedUntil?: string;
  /** The circuit is open until then (consecutive failures). */
  circuitOpenUntil?: string;
  consecutiveFailures: number;
  /** Use today (UTC), against `rpd` and `tpd`. */
  today: { requests: number; tokens: number };
  /** Callers queued by priority for this key now. */
  waiters: number;
}

export interface LimitersPage {
  limiters: LimiterState[];
  /** True when the listing stopped before its SCAN covered the keyspace (over 500 keys, or a large keyspace): more may exist. */
  truncated: boolean;
}

/** Most limiter keys one listing reads. */
const MAX_KEYS = 500;

/**
 * Every limiter key with state in Redis (a bounded SCAN of `<prefix>:limit:{key}`), plus configured
 * keys with none yet. Budgets are computed as limiter-acquire.lua would, at the Redis server's time.
 */
export async function listLimiters(redis: RedisClient, keys: KeyBuilder, specs: Record<string, LimitSpec>, options: LimiterOptions): Promise<LimitersPage> {
  const head = `${keys.prefix}:limit:{`;
  const page = await scanKeys(redis, `${globLiteral(head)}*}`, { wanted: MAX_KEYS });
  const names = new Set(page.keys.map((k) => k.slice(head.length, -1)));
  // Configured keys show before their first call; templates (`gmail:user:{userId}`) are not keys.
  for (const key of Object.keys(specs)) if (!key.includes('{')) names.add(key);
  const sorted = [...names].sort().slice(0, MAX_KEYS);
  // Concurrent reads, not one pipeline: limiter keys live in different Cluster slots.
  const [[seconds, micros], states] = await Promise.all([
    redis.time(),
    Promise.all(sorted.map((name) => Promise.all([redis.hgetall(keys.limiter(name)), redis.zcard(keys.limiterWaiters(name).queue)]))),
  ]);
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const limiters = sorted.map((key, i) => {
    const [hash, waiters] = states[i]!;
    return limiterState(key, specs[key] ?? {}, hash, waiters, now, options);
  });
  return { limiters, truncated: page.cursor !== null };
}

function limiterState(key: string, configured: LimitSpec, h: Record<string, string>, waiters: number, now: number, options: LimiterOptions): LimiterState {
  const num = (field: string) => (h[field] === undefined ? undefined : Number(h[field]));
  const set = (value: number | undefined) => (value !== undefined && value > 0 ? value : undefined);
  const advertised = { rpm: set(num('ceilRpm')), tpm: set(num('ceilTpm')) };
  const learned = { rpm: set(num('learnedRpm')), tpm: set(num('learnedTpm')) };
  // What the provider's remaining/reset headers showed it really allows (limiter-sync.lua), as acquire uses it.
  const real = { rpm: set(num('realRpm')), tpm: set(num('realTpm')) };
  const effective = { rpm: smallest(configured.rpm, advertised.rpm, learned.rpm, real.rpm), tpm: smallest(configured.tpm, advertised.tpm, learned.tpm, real.tpm) };
  const pace = options.pace ?? 0.99;
  const burst = options.burstSeconds ?? 0.1;
  const elapsed = Math.max(0, now - (num('ts') ?? now));
  // As in limiter-acquire.lua: a bucket refills continuously up to `burst` seconds of the paced limit.
  const bucket = (stored: number | undefined, limit: number | undefined) => {
    if (!limit) return undefined;
    const perMinute = limit * pace;
    const cap = Math.max(1, (perMinute * burst) / 60);
    return round(Math.min(cap, (stored ?? cap) + (elapsed * perMinute) / 60_000));
  };
  const today = num('day') === Math.floor(now / 86_400_000) ? { requests: num('dayRequests') ?? 0, tokens: num('dayTokens') ?? 0 } : { requests: 0, tokens: 0 };
  const pausedUntil = num('pausedUntil') ?? 0;
  const circuitUntil = num('circuitUntil') ?? 0;
  return {
    key,
    configured,
    advertised: defined(advertised),
    learned: defined(learned),
    effective: defined(effective),
    budget: defined({ requests: bucket(num('r'), effective.rpm), tokens: bucket(num('t'), effective.tpm) }),
    ...(pausedUntil > now ? { pausedUntil: new Date(pausedUntil).toISOString() } : {}),
    ...(circuitUntil > now ? { circuitOpenUntil: new Date(circuitUntil).toISOString() } : {}),
    consecutiveFailures: num('failures') ?? 0,
    today,
    waiters,
  };
}

function smallest(...values: (number | undefined)[]): number | undefined {
  const set = values.filter((v): v is number => v !== undefined && v > 0);
  return set.length ? round(Math.min(...set)) : undefined;
}

const round = (n: number) => Math.round(n * 100) / 100;

function defined<T extends Record<string, number | undefined>>(value: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: number };
}
