import { z } from 'zod';

/** How often a user's context is re-synced: a fixed interval, or a cron pattern in a time zone. */
export type ScheduleSpec = { every: string | number } | { cron: string; tz?: string };

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Shorter intervals would only measure BullMQ's own latency; a day's worth of years is plenty. */
const MIN_EVERY_MS = 1000;
const MAX_EVERY_MS = 366 * UNIT_MS.d;

/** `'6h'`, `'90m'`, `'1d'`, `'30s'` or milliseconds -> milliseconds; undefined when unreadable. */
export function parseEvery(every: string | number): number | undefined {
  if (typeof every === 'number') return Number.isInteger(every) ? every : undefined;
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(every.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** True for a time zone this runtime knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// BullMQ (cron-parser) checks each field when the schedule is stored; this catches the common
// mistakes (a missing field, a stray word) while the pipeline loads.
const CRON = /^(\S+\s+){4,5}\S+$/;

export const scheduleSpecSchema = z.union(
  [
    z.strictObject({
      every: z.union([z.string(), z.int()]).refine(
        (v) => {
          const ms = parseEvery(v);
          return ms !== undefined && ms >= MIN_EVERY_MS && ms <= MAX_EVERY_MS;
        },
        { message: "expected an interval between 1s and 366d, e.g. '6h', '90m', '1d'" },
      ),
    }),
    z.strictObject({
      cron: z.string().regex(CRON, "expected a cron pattern of 5 or 6 fields, e.g. '0 */6 * * *'"),
      tz: z.string().refine(isTimeZone, { message: "expected an IANA time zone, e.g. 'Europe/Paris'" }).optional(),
    }),
  ],
  { error: "expected { every: '6h' } or { cron: '0 */6 * * *', tz?: 'Europe/Paris' }" },
);

/**
 * Where in its interval a user's schedule fires: a hash of pipeline and user spread uniformly over
 * [0, everyMs). Deterministic, so a restart or a re-upsert keeps the user's slot, and ten thousand
 * users on the same interval fire spread over it rather than in the same second.
 */
export function jitterOffset(pipelineId: string, userId: string, everyMs: number): number {
  // FNV-1a, 32 bits: fast, no dependency, uniform enough for spreading slots.
  let hash = 0x811c9dc5;
  for (const ch of `${pipelineId}\u0000${userId}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Mix the low bits so short, similar ids (user-1, user-2) do not land in neighbouring slots.
  hash = (hash ^ (hash >>> 16)) >>> 0;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash = (hash ^ (hash >>> 13)) >>> 0;
  return Math.floor((hash / 2 ** 32) * everyMs);
}
