import { describe, expect, it } from 'vitest';
import type { Acquired, Limiter } from '../src/limiter/index.js';
import { limiterHarness } from './support/limiter.js';
import { until } from './support/wait.js';

const harness = limiterHarness('limiter-circuit');
const { limiterFor } = harness;
const KEY = 'llm:m';
/** Plenty of budget (990 requests in a full bucket), so only the circuit refuses. */
const LIMITS = { rpm: 6000 };
const OPTIONS = { burstSeconds: 10, circuitThreshold: 2, cooldownMs: 10_000, maxCooldownMs: 600_000 };

function grantOf(acquired: Acquired) {
  if (!acquired.granted) throw new Error(`expected a grant, got a ${acquired.reason} wait of ${acquired.waitMs} ms`);
  return acquired.grant;
}

async function circuitWait(limiter: Limiter): Promise<number> {
  const refused = await limiter.tryAcquire(KEY, 0);
  if (refused.granted || refused.reason !== 'circuit') throw new Error(`expected the circuit to refuse, got ${JSON.stringify(refused)}`);
  return refused.waitMs;
}

describe('limiter circuit against outages in time', () => {
  // The cooldown is ended by moving `circuitUntil` into the past: as if it had been waited out.
  const coolDown = (hash: string) => harness.redis().hset(hash, 'circuitUntil', 1);

  it('the first successful probe after an outage closes the circuit, and every caller resumes at once', async () => {
    const { limiter, keys } = limiterFor(LIMITS, OPTIONS);
    for (let i = 0; i < 2; i++) await limiter.settle(KEY, 0, { kind: 'failed' });
    expect(await circuitWait(limiter)).toBeGreaterThan(9000);
    await coolDown(keys.limiter(KEY));
    const probe = grantOf(await limiter.tryAcquire(KEY, 0));
    // While the probe is out, the others ask again within 100 ms, not after the probe's 10 s hold.
    expect(await circuitWait(limiter)).toBeLessThanOrEqual(100);
    await limiter.settle(KEY, 0, { kind: 'ok', grant: probe });
    for (let i = 0; i < 5; i++) expect(await limiter.tryAcquire(KEY, 0)).toMatchObject({ granted: true, waitMs: 0 });
  });

  it('only failed probes double the cooldown, not calls already in flight when it opened; a success resets it', async () => {
    const { limiter, keys } = limiterFor(LIMITS, OPTIONS);
    const inFlight = [];
    for (let i = 0; i < 6; i++) inFlight.push(grantOf(await limiter.tryAcquire(KEY, 0)));
    // The provider goes down under six calls: two open the circuit, the other four change nothing.
    for (const grant of inFlight) await limiter.settle(KEY, 0, { kind: 'failed', grant });
    const first = await circuitWait(limiter);
    expect(first).toBeGreaterThan(9000);
    expect(first).toBeLessThanOrEqual(10_000);
    // Each failed probe doubles it.
    for (const [above, upTo] of [[10_000, 20_000], [20_000, 40_000]] as const) {
      await coolDown(keys.limiter(KEY));
      const probe = grantOf(await limiter.tryAcquire(KEY, 0));
      await limiter.settle(KEY, 0, { kind: 'failed', grant: probe });
      const wait = await circuitWait(limiter);
      expect(wait).toBeGreaterThan(above);
      expect(wait).toBeLessThanOrEqual(upTo);
    }
    // The provider is back: the probe closes the circuit, and the next outage starts from the first cooldown.
    await coolDown(keys.limiter(KEY));
    await limiter.settle(KEY, 0, { kind: 'ok', grant: grantOf(await limiter.tryAcquire(KEY, 0)) });
    for (let i = 0; i < 2; i++) await limiter.settle(KEY, 0, { kind: 'failed', grant: grantOf(await limiter.tryAcquire(KEY, 0)) });
    expect(await circuitWait(limiter)).toBeLessThanOrEqual(10_000);
  });

  it('a slot reserved before the circuit opened is not sent: the shard waits out the cooldown instead', async () => {
    // One request a second: the second and third callers reserve slots 1 s and 2 s ahead, and sleep.
    const { limiter, keys } = limiterFor({ rpm: 60 }, { ...OPTIONS, pace: 1, burstSeconds: 1 });
    const sent = await limiter.acquire(KEY, 0, 5000);
    await limiter.settle(KEY, 0, { kind: 'ok', grant: sent });
    const reserved = [limiter.acquire(KEY, 0, 5000), limiter.acquire(KEY, 0, 5000)];
    const outcomes = Promise.allSettled(reserved);
    await until(() => harness.redis().hget(keys.limiter(KEY), 'seqR'), (granted) => granted === '3', 'both slots reserved');
    // Two failures open the circuit while they sleep.
    for (let i = 0; i < 2; i++) await limiter.settle(KEY, 0, { kind: 'failed', grant: sent });
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(outcome.status === 'rejected' && outcome.reason).toMatchObject({ name: 'LimiterWaitError', reason: 'circuit' });
    }
  });
});
