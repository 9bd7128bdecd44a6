import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';
import { LimiterWaitError, RequestTooLargeError } from './errors.js';
import type { Acquired, CallOutcome, LimiterOptions, LimitSpec, WaitReason } from './types.js';

export interface Limiter {
  /**
   * One attempt to take a request and `tokens` from a key's budget. With a `priority` (lower first),
   * the caller queues under `ticket` and yields while a live caller with a better priority waits.
   */
  tryAcquire(key: string, tokens: number, queued?: { priority: number; ticket: string }): Promise<Acquired>;
  /**
   * Takes budget, waiting in-process only up to `maxWaitMs`; a longer wait throws LimiterWaitError
   * so the shard goes back to the queue instead of holding a worker slot.
   */
  acquire(key: string, tokens: number, maxWaitMs: number, priority?: number): Promise<{ at: number }>;
  /** Corrects the reservation with what was charged and feeds 429s, failures and learned limits back. */
  settle(key: string, reservedTokens: number, outcome: CallOutcome): Promise<void>;
  /** The limits a key is configured with. */
  limits(key: string): LimitSpec;
}

/** A limiter shared by every worker process through Redis: one atomic script per acquisition. */
export function createLimiter(redis: Redis, keys: KeyBuilder, specs: Record<string, LimitSpec>, options: LimiterOptions = {}): Limiter {
  const burst = options.burstSeconds ?? 0.1;
  const pace = options.pace ?? 0.99;
  const threshold = options.circuitThreshold ?? 5;
  const cooldown = options.cooldownMs ?? 2000;
  const maxCooldown = options.maxCooldownMs ?? 60_000;
  const cut = options.cutFactor ?? 0.8;
  const limits = limitsByKey(specs);

  const tryAcquire = async (key: string, tokens: number, queued?: { priority: number; ticket: string }): Promise<Acquired> => {
    const spec = limits(key);
    const waiters = keys.limiterWaiters(key);
    const [status, value, reason] = await runScript<[number, number, string]>(redis, 'limiter-acquire', [keys.limiter(key), waiters.queue, waiters.expiry], [
      0, spec.rpm ?? 0, spec.tpm ?? 0, spec.rpd ?? 0, spec.tpd ?? 0, Math.max(0, Math.ceil(tokens)), burst, pace, cooldown,
      queued?.priority ?? 0, queued?.ticket ?? '',
    ]);
    if (status === -1) throw new RequestTooLargeError(key, tokens, value);
    return status === 1 ? { granted: true, at: value } : { granted: false, waitMs: value, reason: reason as WaitReason };
  };

  return {
    tryAcquire,
    limits,
    async acquire(key, tokens, maxWaitMs, priority = 0) {
      const started = Date.now();
      const queued = priority > 0 ? { priority, ticket: randomUUID() } : undefined;
      for (;;) {
        const result = await tryAcquire(key, tokens, queued);
        if (result.granted) return result;
        // Many callers each told "100 ms" can starve one another: the deadline counts the whole wait.
        const waited = Date.now() - started;
        if (waited + result.waitMs > maxWaitMs) {
          if (queued) {
            const waiters = keys.limiterWaiters(key);
            await redis.multi().zrem(waiters.queue, queued.ticket).hdel(waiters.expiry, queued.ticket).exec();
          }
          throw new LimiterWaitError(key, Math.max(result.waitMs, Math.min(waited, maxWaitMs)), result.reason);
        }
        // A short wait is cheaper in-process than a round trip through the queue. A little jitter
        // spreads callers; more would leave the budget idle while everyone oversleeps.
        await sleep(result.waitMs * (1 + Math.random() * 0.05));
      }
    },
    async settle(key, reservedTokens, outcome) {
      const spec = limits(key);
      const correction = outcome.chargedTokens === undefined ? 0 : outcome.chargedTokens - reservedTokens;
      await runScript(redis, 'limiter-settle', [keys.limiter(key)], [
        0, correction, outcome.kind, Math.ceil(outcome.retryAfterMs ?? 1000),
        outcome.learned?.rpm ?? '', outcome.learned?.tpm ?? '', threshold, cooldown, maxCooldown, cut, spec.rpm ?? 0, spec.tpm ?? 0,
      ]);
    },
  };
}

/**
 * Finds a key's limits: an exact key first, then a template whose `{placeholders}` each stand for
 * one `:`-free segment (`gmail:user:{userId}` covers `gmail:user:42`).
 */
export function limitsByKey(specs: Record<string, LimitSpec>): (key: string) => LimitSpec {
  const templates = Object.entries(specs)
    .filter(([key]) => key.includes('{'))
    .map(([key, spec]) => ({ pattern: new RegExp(`^${key.split(/\{[^}]*\}/).map(escape).join('[^:]+')}$`), spec }));
  return (key) => specs[key] ?? templates.find((t) => t.pattern.test(key))?.spec ?? {};
}

const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
