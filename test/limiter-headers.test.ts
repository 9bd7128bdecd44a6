import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LimiterWaitError, readRateLimitHeaders, type CallOutcome, type Limiter } from '../src/limiter/index.js';
import { RateLimiter } from '../src/mock-llm/rate-limiter.js';
import { limiterHarness } from './support/limiter.js';

const { limiterFor, redis } = limiterHarness('limiter-headers');

/** What a provider's x-ratelimit-* headers say, as the LLM runtime passes it to settle. */
function fromHeaders(headers: Record<string, string>): Pick<CallOutcome, 'learned' | 'remaining'> {
  const read = readRateLimitHeaders(headers);
  return {
    learned: { rpm: read.limitRequests, tpm: read.limitTokens },
    remaining: { requests: read.remainingRequests, resetRequestsMs: read.resetRequestsMs, tokens: read.remainingTokens, resetTokensMs: read.resetTokensMs },
  };
}

describe('limiter: capacity learned from remaining/reset headers', () => {
  it('draws the shared bucket down when the provider has less left than the bucket believes, so the next reservations wait', async () => {
    const { limiter } = limiterFor({ rpm: 600 });
    const grant = await limiter.acquire('llm:m', 0, 2000);
    // 600 RPM advertised and enforced, but 100 requests outstanding (10 s to refill): another app is spending.
    await limiter.settle('llm:m', 0, { kind: 'ok', grant, ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '500', 'x-ratelimit-reset-requests': '10s' }) });
    const next = await limiter.tryAcquire('llm:m', 0);
    expect(next.granted).toBe(false);
    if (!next.granted) expect(next.waitMs).toBeGreaterThan(5000);

    // The same answer with nothing outstanding beyond our own call leaves the pace alone.
    const { limiter: alone } = limiterFor({ rpm: 600 });
    const own = await alone.acquire('llm:m', 0, 2000);
    await alone.settle('llm:m', 0, { kind: 'ok', grant: own, ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '599', 'x-ratelimit-reset-requests': '100ms' }) });
    const paced = await alone.tryAcquire('llm:m', 0);
    expect(paced.granted ? 0 : paced.waitMs).toBeLessThan(1000);
  });

  it('an LLM caller reserves only a quarter second ahead until a first answer is read, then as far as asked', async () => {
    const { limiter } = limiterFor({ rpm: 60 }); // one request a second
    await limiter.tryAcquire('llm:m', 0);
    expect(await limiter.tryAcquire('llm:m', 0, undefined, 2000, true)).toMatchObject({ granted: false, reason: 'rate' });
    // A source's budget, never settled, reserves as far as asked.
    expect(await limiter.tryAcquire('llm:m', 0, undefined, 2000)).toMatchObject({ granted: true });
    await limiter.settle('llm:m', 0, { kind: 'ok' });
    expect(await limiter.tryAcquire('llm:m', 0, undefined, 4000, true)).toMatchObject({ granted: true });
  });

  it('reserves only half a second ahead while the buckets are being drawn down to what others leave', async () => {
    const { limiter } = limiterFor({ rpm: 600 });
    const grant = await limiter.acquire('llm:m', 0, 2000);
    await limiter.settle('llm:m', 0, { kind: 'ok', grant, ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '585', 'x-ratelimit-reset-requests': '1.5s' }) });
    // About 1.5 s to wait: within the 2 s asked, beyond the half second allowed.
    const next = await limiter.tryAcquire('llm:m', 0, undefined, 2000);
    expect(next).toMatchObject({ granted: false, reason: 'rate' });
  });

  it('learns the limit really enforced when it is below the advertised one, and follows it back up', async () => {
    const { limiter, keys } = limiterFor({ rpm: 600, tpm: 150_000 });
    const grant = await limiter.acquire('llm:m', 250, 2000);
    // Half enforced: 297 left and 600 ms to refill is a 300 RPM window; 74,750 left and 300 ms a 75,000 TPM one.
    await limiter.settle('llm:m', 250, {
      kind: 'ok', chargedTokens: 250, grant,
      ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '297', 'x-ratelimit-reset-requests': '600ms',
        'x-ratelimit-limit-tokens': '150000', 'x-ratelimit-remaining-tokens': '74625', 'x-ratelimit-reset-tokens': '300ms' }),
    });
    const [realRpm, realTpm] = await redis().hmget(keys.limiter('llm:m'), 'realRpm', 'realTpm');
    expect(Number(realRpm)).toBeCloseTo(300, 0);
    expect(Number(realTpm)).toBeCloseTo(75_000, -1);

    // An answer with nothing left (the window's last call) draws the bucket down but keeps the limit learned.
    const last = await limiter.acquire('llm:m', 250, 5000);
    await limiter.settle('llm:m', 250, {
      kind: 'ok', chargedTokens: 250, grant: last,
      ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '200ms',
        'x-ratelimit-limit-tokens': '150000', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '200ms' }),
    });
    const [keptRpm, keptTpm] = await redis().hmget(keys.limiter('llm:m'), 'realRpm', 'realTpm');
    expect(Number(keptRpm)).toBeCloseTo(300, 0);
    expect(Number(keptTpm)).toBeCloseTo(75_000, -1);

    // Capacity grows again: the next answer's headers show the whole advertised window.
    const again = await limiter.acquire('llm:m', 250, 5000);
    await limiter.settle('llm:m', 250, {
      kind: 'ok', chargedTokens: 250, grant: again,
      ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '599', 'x-ratelimit-reset-requests': '100ms',
        'x-ratelimit-limit-tokens': '150000', 'x-ratelimit-remaining-tokens': '149750', 'x-ratelimit-reset-tokens': '100ms' }),
    });
    expect(await redis().hmget(keys.limiter('llm:m'), 'realRpm', 'realTpm')).toEqual([null, null]);
  });

  it('a 429 with remaining/reset headers pauses the key without a blind cut; one without headers cuts', async () => {
    const { limiter, keys } = limiterFor({ rpm: 600 });
    const grant = await limiter.acquire('llm:m', 0, 2000);
    await limiter.settle('llm:m', 0, { kind: 'rate_limited', retryAfterMs: 200, grant, ...fromHeaders({ 'x-ratelimit-limit-requests': '600', 'x-ratelimit-remaining-requests': '589', 'x-ratelimit-reset-requests': '1.1s' }) });
    const [paused, learned] = await redis().hmget(keys.limiter('llm:m'), 'pausedUntil', 'learnedRpm');
    expect(Number(paused)).toBeGreaterThan(0);
    expect(learned).toBeNull();

    const { limiter: blind, keys: blindKeys } = limiterFor({ rpm: 600 });
    const blindGrant = await blind.acquire('llm:m', 0, 2000);
    await blind.settle('llm:m', 0, { kind: 'rate_limited', retryAfterMs: 200, grant: blindGrant });
    expect(Number(await redis().hget(blindKeys.limiter('llm:m'), 'learnedRpm'))).toBeCloseTo(480, 0);
  });

  it('two deployments with their own configs sharing one provider key converge without a lockout', async () => {
    // One provider key enforcing 1,200 RPM as OpenAI does (a second's share per bucket, 429s count).
    const provider = new RateLimiter();
    const providerLimits = { rpm: 1200 };
    // Each deployment believes the whole key is its own.
    const deployments = [limiterFor({ rpm: 1200 }).limiter, limiterFor({ rpm: 1000 }).limiter];
    const target = 120;
    const admitted = [0, 0];
    let refused = 0;
    const caller = async (limiter: Limiter, index: number) => {
      while (admitted[0]! + admitted[1]! < target) {
        let grant;
        try {
          grant = await limiter.acquire('llm:m', 0, 2000);
        } catch (error) {
          // A long wait: the shard would go back to the queue for that long.
          if (!(error instanceof LimiterWaitError)) throw error;
          await sleep(error.waitMs);
          continue;
        }
        const answer = provider.admit('m', 1, providerLimits, Date.now());
        await sleep(30); // the provider's latency
        const read = readRateLimitHeaders(answer.headers);
        if (answer.ok) admitted[index]! += 1;
        else refused += 1;
        await limiter.settle('llm:m', 0, {
          kind: answer.ok ? 'ok' : 'rate_limited', grant, ...fromHeaders(answer.headers), ...(answer.ok ? {} : { retryAfterMs: read.retryAfterMs ?? answer.retryAfterMs ?? 1000 }),
        });
      }
    };
    await Promise.all(deployments.flatMap((limiter, index) => Array.from({ length: 6 }, () => caller(limiter, index))));
    const total = admitted[0]! + admitted[1]!;
    expect(refused / (total + refused)).toBeLessThan(0.05);
    expect(Math.min(...admitted) / total).toBeGreaterThan(0.25);
  }, 60_000);
});
