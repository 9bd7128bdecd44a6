import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLimiter, LimiterWaitError, RequestTooLargeError } from '../src/limiter/index.js';
import { createKeys } from '../src/store/keys.js';
import { busiestSecond } from './support/busiest-second.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { limiterHarness } from './support/limiter.js';

const run = promisify(execFile);
const harness = limiterHarness('limiter');
const { limiterFor } = harness;

describe('distributed limiter', () => {
  it('grants a full bucket, then asks to wait for the refill it computes', async () => {
    // 6 rpm at pace 1 and a 100 s bucket: 10 requests at once, then one every 10 s
    // (slow refill, so a loaded machine cannot sneak an 11th in while the test runs).
    const { limiter } = limiterFor({ rpm: 6 }, { pace: 1, burstSeconds: 100 });
    for (let i = 0; i < 10; i++) expect(await limiter.tryAcquire('llm:m', 0)).toMatchObject({ granted: true });
    const denied = await limiter.tryAcquire('llm:m', 0);
    expect(denied.granted).toBe(false);
    if (!denied.granted) {
      expect(denied.reason).toBe('rate');
      expect(denied.waitMs).toBeGreaterThan(0);
      expect(denied.waitMs).toBeLessThanOrEqual(10_000);
    }
  });

  it('reserves estimated tokens and reconciles with what was charged, refunding or charging the difference', async () => {
    const { limiter, keys } = limiterFor({ tpm: 600 }, { pace: 1, burstSeconds: 10 }); // 100 tokens in a full bucket, 10/s refill
    expect(await limiter.tryAcquire('llm:m', 80)).toMatchObject({ granted: true });
    expect((await limiter.tryAcquire('llm:m', 80)).granted).toBe(false);
    await limiter.settle('llm:m', 80, { kind: 'ok', chargedTokens: 20 }); // 60 refunded
    expect(Number(await harness.redis().hget(keys.limiter('llm:m'), 't'))).toBeGreaterThanOrEqual(80);
    expect(await limiter.tryAcquire('llm:m', 80)).toMatchObject({ granted: true });
    await limiter.settle('llm:m', 80, { kind: 'ok', chargedTokens: 200 }); // 120 more charged: the bucket goes into debt
    expect(Number(await harness.redis().hget(keys.limiter('llm:m'), 't'))).toBeLessThan(-100);
  });

  it('fails a request larger than the whole per-minute budget at once instead of waiting forever', async () => {
    const { limiter } = limiterFor({ tpm: 1000 });
    await expect(limiter.acquire('llm:m', 1001, 60_000)).rejects.toBeInstanceOf(RequestTooLargeError);
    await expect(limiter.acquire('llm:m', 1001, 60_000)).rejects.toThrow(/1001 tokens can never fit the budget of 1000 tokens\/min/);
  });

  it('throws LimiterWaitError when the wait is longer than the caller may hold its slot', async () => {
    const { limiter } = limiterFor({ rpm: 1 });
    await limiter.acquire('llm:m', 0, 0);
    const error = await limiter.acquire('llm:m', 0, 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimiterWaitError);
    expect((error as LimiterWaitError).waitMs).toBeGreaterThan(500);
  });

  it('a 429 pauses the key for every caller; limits in headers cap wrong configured ones, and the 429 cuts below them', async () => {
    const { limiter, keys } = limiterFor({ rpm: 6000, tpm: 1_000_000 });
    await limiter.settle('llm:m', 0, { kind: 'rate_limited', retryAfterMs: 5000, learned: { rpm: 60, tpm: 10_000 } });
    // Another process's limiter on the same Redis sees the pause.
    const other = createLimiter(harness.redis(), keys, { 'llm:m': { rpm: 6000, tpm: 1_000_000 } });
    const paused = await other.tryAcquire('llm:m', 1);
    expect(paused).toMatchObject({ granted: false, reason: 'paused' });
    expect(paused.granted === false && paused.waitMs).toBeGreaterThan(4000);
    expect(await harness.redis().hmget(keys.limiter('llm:m'), 'ceilRpm', 'ceilTpm')).toEqual(['60', '10000']);
    // The headers may claim more than is available (a shared key): the 429 itself cuts to 80% of them.
    expect(await harness.redis().hmget(keys.limiter('llm:m'), 'learnedRpm', 'learnedTpm')).toEqual(['48', '8000']);
    await expect(other.acquire('llm:m', 10_001, 0)).rejects.toBeInstanceOf(RequestTooLargeError);
  });

  it('a 429 without limit headers cuts the limits; consecutive failures open the circuit', async () => {
    const { limiter, keys } = limiterFor({ rpm: 1000 });
    await limiter.settle('llm:m', 0, { kind: 'rate_limited', retryAfterMs: 1 });
    expect(Number(await harness.redis().hget(keys.limiter('llm:m'), 'learnedRpm'))).toBe(800);
    const { limiter: flaky } = limiterFor({ rpm: 1000 }, { circuitThreshold: 3, cooldownMs: 10_000 });
    for (let i = 0; i < 3; i++) await flaky.settle('llm:m', 0, { kind: 'failed' });
    expect(await flaky.tryAcquire('llm:m', 0)).toMatchObject({ granted: false, reason: 'circuit' });
  });

  it('callers with a better priority get the budget first; a waiter that gave up stops blocking', async () => {
    const { limiter, keys } = limiterFor({ rpm: 6 }, { pace: 1, burstSeconds: 100 });
    for (let i = 0; i < 10; i++) await limiter.tryAcquire('llm:m', 0);
    const backlog = { priority: 50, ticket: 'old-user-batch-50' };
    const newcomer = { priority: 1, ticket: 'new-user-batch-0' };
    expect(await limiter.tryAcquire('llm:m', 0, backlog)).toMatchObject({ granted: false, reason: 'rate' });
    expect(await limiter.tryAcquire('llm:m', 0, newcomer)).toMatchObject({ granted: false, reason: 'rate' });
    // Budget for two requests comes back.
    await harness.redis().hset(keys.limiter('llm:m'), 'r', 2);
    expect(await limiter.tryAcquire('llm:m', 0, backlog)).toMatchObject({ granted: false });
    expect(await limiter.tryAcquire('llm:m', 0, newcomer)).toMatchObject({ granted: true });
    expect(await limiter.tryAcquire('llm:m', 0, backlog)).toMatchObject({ granted: true });

    // A better-priority waiter whose process died expires and no longer holds others back.
    await harness.redis().hset(keys.limiter('llm:m'), 'r', 1);
    const gone = { priority: 1, ticket: 'crashed-worker' };
    await harness.redis().zadd(keys.limiterWaiters('llm:m').queue, gone.priority, gone.ticket);
    await harness.redis().hset(keys.limiterWaiters('llm:m').expiry, gone.ticket, Date.now() - 1000);
    expect(await limiter.tryAcquire('llm:m', 0, backlog)).toMatchObject({ granted: true });
  });

  it('reserves a slot ahead in one call: the caller sleeps once until it, and a later caller gets the next one', async () => {
    const { limiter } = limiterFor({ rpm: 600 }, { pace: 1, burstSeconds: 0.1 }); // one request every 100 ms
    const first = await limiter.tryAcquire('llm:m', 0, undefined, 1000);
    const second = await limiter.tryAcquire('llm:m', 0, undefined, 1000);
    const third = await limiter.tryAcquire('llm:m', 0, undefined, 1000);
    expect([first.granted, second.granted, third.granted]).toEqual([true, true, true]);
    if (!first.granted || !second.granted || !third.granted) return;
    expect(first.waitMs).toBe(0);
    // Each slot follows the one before by the refill time of one request (less the time between calls).
    expect(third.at - second.at).toBeGreaterThanOrEqual(99);
    expect(second.waitMs).toBeGreaterThan(0);
    // Nobody may reserve further ahead than asked: the wait comes back instead.
    const tooFar = await limiter.tryAcquire('llm:m', 0, undefined, 50);
    expect(tooFar).toMatchObject({ granted: false, reason: 'rate' });
  });

  it('while a better-priority caller waits its turn, the others reserve only a quarter as far ahead', async () => {
    const { limiter } = limiterFor({ rpm: 60 }, { pace: 1, burstSeconds: 1 }); // one request a second
    await limiter.tryAcquire('llm:m', 0);
    // An answer was read: the key may be reserved far ahead.
    await limiter.settle('llm:m', 0, { kind: 'ok' });
    // The newcomer would wait ~1 s; allowed only 500 ms ahead, it is refused and registers.
    expect(await limiter.tryAcquire('llm:m', 0, { priority: 1, ticket: 'newcomer' }, 500)).toMatchObject({ granted: false });
    // A backlog caller allowed 2 s ahead may now reserve only 500 ms ahead: refused too.
    expect(await limiter.tryAcquire('llm:m', 0, { priority: 9, ticket: 'backlog' }, 2000)).toMatchObject({ granted: false });
    // The newcomer comes back and takes the slot.
    expect(await limiter.tryAcquire('llm:m', 0, { priority: 1, ticket: 'newcomer-again' }, 2000)).toMatchObject({ granted: true });
  });

  it('with no limits known, one probe call goes first and its headers set the pace', async () => {
    const { limiter } = limiterFor({});
    expect(await limiter.tryAcquire('llm:m', 100)).toMatchObject({ granted: true });
    const waiting = await limiter.tryAcquire('llm:m', 100);
    expect(waiting).toMatchObject({ granted: false, reason: 'rate' });
    expect(waiting.waitMs).toBeLessThanOrEqual(200);
    await limiter.settle('llm:m', 100, { kind: 'ok', chargedTokens: 100, learned: { rpm: 600, tpm: 60_000 } });
    expect(await limiter.tryAcquire('llm:m', 100)).toMatchObject({ granted: true });
    // Now paced by the headers' limits (a tenth of a second's budget at once): the next waits.
    expect(await limiter.tryAcquire('llm:m', 100)).toMatchObject({ granted: false, reason: 'rate' });
  });

  it('many callers in two processes never exceed the budget in any one-second window', async () => {
    const prefix = harness.prefix();
    const rpm = 600; // 10 per second
    const tpm = 60_000; // 1000 tokens per second
    const tokens = 10;
    const child = () =>
      run(process.execPath, ['--import', 'tsx', 'test/support/limiter-child.ts', prefix, 'llm:shared', String(rpm), String(tpm), String(tokens), '20', '3000'], {
        maxBuffer: 10e6,
      }).then(({ stdout }) => JSON.parse(stdout) as number[]);
    const grants = (await Promise.all([child(), child()])).flat().sort((a, b) => a - b);
    expect(grants.length).toBeGreaterThan(15);
    const worst = busiestSecond(grants);
    expect(worst).toBeLessThanOrEqual(rpm / 60);
    expect(worst * tokens).toBeLessThanOrEqual(tpm / 60 + tokens);
  });
});
