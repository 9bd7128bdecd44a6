import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../store/redis.js';
import type { KeyBuilder } from '../store/keys.js';
import { runScript } from '../store/scripts.js';
import { LimiterWaitError, RequestTooLargeError } from './errors.js';
import { AskGate } from './gate.js';
import type { Acquired, CallOutcome, Grant, LimiterOptions, LimitSpec, WaitReason } from './types.js';

export interface Limiter {
  /**
   * One attempt to take a request and `tokens` from a key's budget, now or in a slot up to `aheadMs`
   * later. A caller that `settles` with the provider's answers reserves only a short way ahead until
   * a first answer on the key has been read. With a `priority` (lower first), the caller queues under `ticket` and, while a live caller
   * with a better priority waits, reserves only a short way ahead (or, with no `aheadMs`, yields).
   */
  tryAcquire(key: string, tokens: number, queued?: { priority: number; ticket: string }, aheadMs?: number, settles?: boolean): Promise<Acquired>;
  /**
   * Takes budget, waiting in-process only up to `maxWaitMs`; a longer wait throws LimiterWaitError
   * so the shard goes back to the queue instead of holding a worker slot. A rate wait reserves its
   * slot in the one script call and sleeps until it: no polling, no budget lost to late wake-ups.
   */
  acquire(key: string, tokens: number, maxWaitMs: number, priority?: number, settles?: boolean): Promise<Grant>;
  /**
   * Corrects the reservation with what was charged and feeds 429s, failures and learned limits back;
   * with the grant and the provider's remaining/reset headers, draws the shared buckets down to what
   * the provider really has left (someone else spends on the key) and learns a lower enforced limit.
   */
  settle(key: string, reservedTokens: number, outcome: CallOutcome): Promise<void>;
  /** The limits a key is configured with. */
  limits(key: string): LimitSpec;
}

/** A limiter shared by every worker process through Redis: one atomic script per acquisition. */
/** Gates kept before idle ones are dropped. */
const MAX_IDLE_GATES = 1000;

export function createLimiter(redis: RedisClient, keys: KeyBuilder, specs: Record<string, LimitSpec>, options: LimiterOptions = {}): Limiter {
  const burst = options.burstSeconds ?? 0.1;
  const pace = options.pace ?? 0.99;
  const threshold = options.circuitThreshold ?? 5;
  const cooldown = options.cooldownMs ?? 2000;
  const maxCooldown = options.maxCooldownMs ?? 60_000;
  const cut = options.cutFactor ?? 0.8;
  const limits = limitsByKey(specs);
  /** The last 429 pause this process saw, per key. */
  const pausedUntil = new Map<string, number>();
  /** Per key, the open circuit as this process last heard of it: grants up to `seq` were made before it opened. */
  const circuits = new Map<string, { seq: number; until: number }>();
  /** This process's callers of a key ask Redis one at a time (see AskGate). */
  const gates = new Map<string, AskGate>();
  const gateOf = (key: string) => {
    let gate = gates.get(key);
    if (!gate) {
      // Keys made from templates (`gmail:user:{userId}`) are many over a worker's life: idle gates go.
      if (gates.size >= MAX_IDLE_GATES) for (const [k, g] of gates) if (g.idle) gates.delete(k);
      gates.set(key, (gate = new AskGate()));
    }
    return gate;
  };

  const tryAcquire = async (key: string, tokens: number, queued?: { priority: number; ticket: string }, aheadMs = 0, settles = false): Promise<Acquired> => {
    const spec = limits(key);
    const waiters = keys.limiterWaiters(key);
    const [status, value, reason, requests, grantedTokens] = await runScript<[number, number, string, number?, string?]>(redis, 'limiter-acquire', [keys.limiter(key), waiters.queue, waiters.expiry], [
      0, spec.rpm ?? 0, spec.tpm ?? 0, spec.rpd ?? 0, spec.tpd ?? 0, Math.max(0, Math.ceil(tokens)), burst, pace, cooldown,
      queued?.priority ?? 0, queued?.ticket ?? '', Math.max(0, Math.floor(aheadMs)), settles ? 1 : 0,
    ]);
    if (status === -1) throw new RequestTooLargeError(key, tokens, value);
    return status === 1
      ? { granted: true, at: value, waitMs: Number(reason) || 0, grant: { at: value, requests: requests ?? 0, tokens: Number(grantedTokens ?? 0) } }
      : { granted: false, waitMs: value, reason: reason as WaitReason };
  };

  return {
    tryAcquire,
    limits,
    async acquire(key, tokens, maxWaitMs, priority = 0, settles = false) {
      const started = Date.now();
      const queued = priority > 0 ? { priority, ticket: randomUUID() } : undefined;
      const gate = gateOf(key);
      for (;;) {
        const turn = await gate.enter(priority, started + maxWaitMs);
        // Another caller here was just told nothing is free for longer than this one may wait.
        if (!('release' in turn)) throw new LimiterWaitError(key, turn.waitMs, (turn.reason as WaitReason | undefined) ?? 'rate');
        const waited = Date.now() - started;
        let result: Acquired;
        try {
          result = await tryAcquire(key, tokens, queued, maxWaitMs - waited, settles);
        } catch (error) {
          turn.release();
          throw error;
        }
        if (result.granted) turn.release();
        else turn.release(result.waitMs, result.reason);
        if (result.granted) {
          if (result.waitMs > 0) await sleep(result.waitMs);
          // A 429 seen here while this slot slept: sending now would meet another 429 (and each
          // one counts against the provider's RPM), so the shard waits out the pause instead.
          const paused = (pausedUntil.get(key) ?? 0) - Date.now();
          if (paused > 0) throw new LimiterWaitError(key, paused, 'paused');
          // Likewise a slot reserved before the circuit opened: the call would only fail too (and
          // use one of the shard's attempts).
          const circuit = circuits.get(key);
          if (circuit && result.grant.requests <= circuit.seq && circuit.until > Date.now()) throw new LimiterWaitError(key, circuit.until - Date.now(), 'circuit');
          return result.grant;
        }
        // A wait too long for the slot re-queues the shard. Its ticket stays registered until it
        // expires, so later batches make room for it meanwhile.
        if (waited + result.waitMs > maxWaitMs) throw new LimiterWaitError(key, Math.max(result.waitMs, Math.min(waited, maxWaitMs)), result.reason);
        // A short pause, open circuit or priority yield: sleep exactly that long, then ask once more.
        await sleep(result.waitMs);
      }
    },
    async settle(key, reservedTokens, outcome) {
      const spec = limits(key);
      const correction = outcome.chargedTokens === undefined ? 0 : outcome.chargedTokens - reservedTokens;
      const left = outcome.remaining ?? {};
      if (outcome.kind === 'rate_limited') pausedUntil.set(key, Date.now() + (outcome.retryAfterMs ?? 1000));
      const [openedAt, openMs] = await runScript<[number, number]>(redis, 'limiter-settle', [keys.limiter(key)], [
        0, correction, outcome.kind, Math.ceil(outcome.retryAfterMs ?? 1000),
        outcome.learned?.rpm ?? '', outcome.learned?.tpm ?? '', threshold, cooldown, maxCooldown, cut, spec.rpm ?? 0, spec.tpm ?? 0,
        outcome.grant?.at ?? '', outcome.grant?.requests ?? 0, outcome.grant?.tokens ?? 0,
        left.requests ?? '', left.resetRequestsMs ?? '', left.tokens ?? '', left.resetTokensMs ?? '', burst, pace,
      ]);
      if (outcome.kind === 'ok') circuits.delete(key);
      else if (openedAt > 0) circuits.set(key, { seq: openedAt, until: Date.now() + openMs });
    },
  };
}

/**
 * Finds a key's limits: an exact key first, then a template whose `{placeholders}` each stand for
 * one `:`-free segment (`gmail:user:{userId}` covers `gmail:user:42`).
 */
export function limitsByKey(specs: Record<string, LimitSpec>): (key: string) => LimitSpec {
  const configured = configuredKey(specs);
  return (key) => {
    const found = configured(key);
    return found === undefined ? {} : specs[found]!;
  };
}

/**
 * The configured key a key falls under (itself, or the template that covers it), or undefined: what
 * metrics label a key with, so `gmail:user:42` counts under `gmail:user:{userId}`.
 */
export function configuredKey(specs: Record<string, LimitSpec>): (key: string) => string | undefined {
  const templates = Object.keys(specs)
    .filter((key) => key.includes('{'))
    .map((key) => ({ key, pattern: new RegExp(`^${key.split(/\{[^}]*\}/).map(escape).join('[^:]+')}$`) }));
  return (key) => (Object.hasOwn(specs, key) ? key : templates.find((t) => t.pattern.test(key))?.key);
}

const escape = (text: string) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
