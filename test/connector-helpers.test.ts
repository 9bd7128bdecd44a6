import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CursorError, SourceError, cursorCodec, decodeText, mapLimit, parseRetryAfter } from '../src/connector/index.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('reads delay-seconds and HTTP-dates, in milliseconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter(2, now)).toBe(2000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:20 GMT', now)).toBe(20_000);
  });
  it('never answers less than a second: 0, fractions and past dates mean "within the second"', () => {
    expect(parseRetryAfter('0', now)).toBe(1000);
    expect(parseRetryAfter('0.2', now)).toBe(1000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(1000);
  });
  it('is undefined when absent or unreadable', () => {
    for (const value of [undefined, null, '', '  ', '-5', 'soon']) expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const result = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await Promise.resolve();
      running--;
      return n * 10;
    });
    expect(result).toEqual([10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
  });
  it('starts no call after the first failure', async () => {
    const started: number[] = [];
    const failing = mapLimit([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
      return n;
    });
    await expect(failing).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});

describe('decodeText', () => {
  it('refuses a NUL byte anywhere, not only in the first KiBs', () => {
    const late = new Uint8Array(20_000).fill(0x61);
    late[15_000] = 0;
    expect(decodeText(late)).toBeUndefined();
    expect(decodeText(new TextEncoder().encode('café ✓'))).toBe('café ✓');
    expect(decodeText(new Uint8Array([0x63, 0x61, 0x66, 0xe9]))).toBeUndefined();
  });
});

describe('cursorCodec', () => {
  const codec = cursorCodec(z.object({ page: z.number().int() }), { connector: 'demo', stream: 'items' });
  it('round-trips a value', () => {
    expect(codec.decode(codec.encode({ page: 3 }))).toEqual({ page: 3 });
  });
  it('refuses garbage and wrong shapes with one error type naming the stream and the field', () => {
    expect(() => codec.decode('%%%')).toThrow(CursorError);
    const wrong = Buffer.from(JSON.stringify({ page: 'x' })).toString('base64url');
    let caught: unknown;
    try {
      codec.decode(wrong);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CursorError);
    expect(caught).toBeInstanceOf(SourceError);
    expect((caught as CursorError).connector).toBe('demo');
    expect((caught as Error).message).toMatch(/^demo\.items: malformed cursor: page: /);
  });
});
