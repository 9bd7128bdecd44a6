/** Redis stream ids (`<ms>-<seq>`): the SSE `id:` a client resumes from. */
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
 * Orders two ids as Redis does. Runs for every message and subscriber, so it compares the digit
 * strings (shorter is smaller, then lexicographic) instead of allocating numbers; valid for ids
 * without leading zeros, which is how Redis writes them and how parseStreamId returns them.
 */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf('-');
  const db = b.indexOf('-');
  return comparePart(a.slice(0, da), b.slice(0, db)) || comparePart(a.slice(da + 1), b.slice(db + 1));
}

function comparePart(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
