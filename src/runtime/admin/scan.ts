import type { Redis } from 'ioredis';

/** One bounded stretch of a SCAN: the keys it found and where the next stretch starts (null: done). */
export interface ScanPage {
  keys: string[];
  cursor: string | null;
}

/** A SCAN cursor as given by a client: Redis's own decimal cursor. */
export const SCAN_CURSOR = /^\d{1,20}$/;

/**
 * SCANs from `cursor` until `wanted` keys matched `pattern` or `maxCalls` calls were made, whichever
 * comes first: an admin listing costs a bounded amount of Redis work per request, never a KEYS over
 * the whole keyspace. One call's matches are kept whole (a SCAN cannot resume inside a call), so a
 * stretch holds at most `wanted` + COUNT - 1 keys; COUNT is `wanted` (at least 10). A stretch may
 * also be empty with a cursor to go on from, where matching keys are sparse.
 */
export async function scanKeys(redis: Redis, pattern: string, options: { cursor?: string; wanted: number; maxCalls?: number }): Promise<ScanPage> {
  const found = new Set<string>();
  let cursor = options.cursor ?? '0';
  const maxCalls = options.maxCalls ?? 100;
  for (let call = 0; call < maxCalls; call++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', Math.max(10, options.wanted));
    for (const key of keys) found.add(key);
    cursor = next;
    if (cursor === '0' || found.size >= options.wanted) break;
  }
  return { keys: [...found], cursor: cursor === '0' ? null : cursor };
}

/** `text` matched literally inside a SCAN MATCH pattern. */
export const globLiteral = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');
