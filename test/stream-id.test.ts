import { describe, expect, it } from 'vitest';
import { compareStreamIds, isAfterStreamId, parseStreamId } from '../src/util/stream-id.js';

const sign = (n: number | undefined) => (n === undefined ? undefined : Math.sign(n));

describe('stream ids', () => {
  it('order numerically, exactly past 2^53, and leading zeros do not count', () => {
    expect(sign(compareStreamIds('9-0', '10-0'))).toBe(-1);
    expect(sign(compareStreamIds('1-10', '1-2'))).toBe(1);
    expect(sign(compareStreamIds('1-1', '1-1'))).toBe(0);
    expect(sign(compareStreamIds('007-1', '7-1'))).toBe(0);
    expect(sign(compareStreamIds('9007199254740993-0', '9007199254740992-0'))).toBe(1);
    expect(sign(compareStreamIds('18446744073709551615-0', '18446744073709551614-9'))).toBe(1);
  });

  it('are undefined to compare when either is not a stream id; isAfter falls back to inequality', () => {
    for (const bad of ['x', '1-', '-1', '1-0-0', '', '1a-0']) expect(compareStreamIds(bad, '1-0')).toBeUndefined();
    expect(isAfterStreamId('2-0', '1-5')).toBe(true);
    expect(isAfterStreamId('1-5', '1-5')).toBe(false);
    expect(isAfterStreamId('abc', 'abd')).toBe(true);
    expect(isAfterStreamId('abc', 'abc')).toBe(false);
  });

  it('parse to Redis spelling, refusing parts above 2^64-1', () => {
    expect(parseStreamId('0001-02')).toBe('1-2');
    expect(parseStreamId('18446744073709551615-18446744073709551615')).toBe('18446744073709551615-18446744073709551615');
    expect(parseStreamId('18446744073709551616-0')).toBeUndefined();
    expect(parseStreamId('1700000000000')).toBeUndefined();
  });
});
