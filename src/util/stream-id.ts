/**
 * Redis stream ids (`<ms>-<seq>`, each part up to 2^64-1): the SSE `id:` a client resumes from.
 * Browser-safe and dependency-free: the client, the progress reader and the server share it.
 */
const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;
const MAX_PART = 2n ** 64n - 1n;

/** The id in Redis's own spelling (no leading zeros), or undefined if it is not a stream id. */
export function parseStreamId(value: string): string | undefined {
  const match = STREAM_ID.exec(value);
  if (!match) return undefined;
  const [ms, seq] = [BigInt(match[1]!), BigInt(match[2]!)];
  return ms <= MAX_PART && seq <= MAX_PART ? `${ms}-${seq}` : undefined;
}

/**
 * Orders two ids as Redis does (string order is wrong: "9-0" > "10-0"); undefined when either is
 * not a stream id. Runs for every message and subscriber, so it compares digit strings in place
 * (leading zeros skipped, then shorter is smaller, then digit by digit): exact at any size, no
 * Number rounding past 2^53, no allocation.
 */
export function compareStreamIds(a: string, b: string): number | undefined {
  const da = dashOf(a);
  const db = dashOf(b);
  if (da < 0 || db < 0) return undefined;
  return compareDigits(a, 0, da, b, 0, db) || compareDigits(a, da + 1, a.length, b, db + 1, b.length);
}

/** Whether `id` comes after `last`; ids that are not stream ids only by inequality (the server's order is trusted). */
export function isAfterStreamId(id: string, last: string): boolean {
  const order = compareStreamIds(id, last);
  return order === undefined ? id !== last : order > 0;
}

/** Index of the dash of `<digits>-<digits>`, or -1. */
function dashOf(id: string): number {
  let dash = -1;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === 45 && dash < 0 && i > 0) dash = i;
    else if (c < 48 || c > 57) return -1;
  }
  return dash > 0 && dash < id.length - 1 ? dash : -1;
}

function compareDigits(a: string, aStart: number, aEnd: number, b: string, bStart: number, bEnd: number): number {
  while (aStart < aEnd - 1 && a.charCodeAt(aStart) === 48) aStart++;
  while (bStart < bEnd - 1 && b.charCodeAt(bStart) === 48) bStart++;
  const length = aEnd - aStart - (bEnd - bStart);
  if (length !== 0) return length;
  for (; aStart < aEnd; aStart++, bStart++) {
    const diff = a.charCodeAt(aStart) - b.charCodeAt(bStart);
    if (diff !== 0) return diff;
  }
  return 0;
}
