import { describe, expect, it } from 'vitest';
import { LimiterWaitError } from '../src/limiter/index.js';
import { SlotGovernor } from '../src/runtime/slot-governor.js';

describe('slot governor', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('gives up a slot per batch deferred for LLM budget, down to one, and takes one back per quiet interval', () => {
    const time = clock();
    const governor = new SlotGovernor(3, 5000, time.now);
    expect(governor.slots).toBe(3);
    expect(governor.ended(new LimiterWaitError('openai:m', 2100, 'rate'))).toBe(2);
    expect(governor.ended(new LimiterWaitError('openai:m', 2100, 'rate'))).toBe(1);
    expect(governor.ended(new LimiterWaitError('openai:m', 2100, 'rate'))).toBe(1);
    // Batches that finish do not bring slots back; time without a budget deferral does.
    expect(governor.ended()).toBe(1);
    time.advance(4999);
    expect(governor.slots).toBe(1);
    time.advance(1);
    expect(governor.slots).toBe(2);
    time.advance(10_000);
    expect(governor.slots).toBe(3);
  });

  it('keeps its slots for a provider pause, an open circuit or any other error', () => {
    const governor = new SlotGovernor(2, 5000, clock().now);
    expect(governor.ended(new LimiterWaitError('openai:m', 5000, 'paused'))).toBe(2);
    expect(governor.ended(new LimiterWaitError('openai:m', 2000, 'circuit'))).toBe(2);
    expect(governor.ended(new Error('boom'))).toBe(2);
    expect(governor.ended()).toBe(2);
  });
});
