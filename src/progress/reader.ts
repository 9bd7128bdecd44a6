import type { Redis } from 'ioredis';
import type { KeyBuilder } from '../store/keys.js';
import { PROGRESS_EVENT_VERSION, type ProgressEntry, type RunEvent, type RunSnapshot } from './events.js';

/** Every run of a user as last published, newest first. */
export async function readSnapshot(redis: Redis, keys: KeyBuilder, userId: string): Promise<RunSnapshot[]> {
  const all = await redis.hgetall(keys.progress(userId).snapshot);
  return Object.entries(all)
    .filter(([field]) => !field.startsWith('seq:'))
    .map(([, json]) => JSON.parse(json) as RunSnapshot)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export interface ReadEventsOptions {
  /** Stream id to resume after (exclusive). Default: from the start of the stream. */
  after?: string;
  count?: number;
  /** Wait up to this long for new events when none are there yet. */
  blockMs?: number;
}

/** Events after a stream id, in order. A reader that resumes from the last id it saw misses nothing still in the stream. */
export async function readEvents(redis: Redis, keys: KeyBuilder, userId: string, options: ReadEventsOptions = {}): Promise<ProgressEntry[]> {
  const key = keys.progress(userId).events;
  const count = options.count ?? 500;
  let raw: [string, string[]][];
  if (options.blockMs !== undefined) {
    const result = (await redis.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', key, options.after ?? '0-0')) as
      | [string, [string, string[]][]][]
      | null;
    raw = result?.[0]?.[1] ?? [];
  } else {
    raw = (await redis.xrange(key, options.after ? `(${options.after}` : '-', '+', 'COUNT', count)) as [string, string[]][];
  }
  return raw.flatMap(([id, fields]) => parseProgressEntry(id, fields) ?? []);
}

/** The oldest id still in a user's stream: a reader asking for an older one missed trimmed events. */
export async function firstEventId(redis: Redis, keys: KeyBuilder, userId: string): Promise<string | undefined> {
  const [first] = (await redis.xrange(keys.progress(userId).events, '-', '+', 'COUNT', 1)) as [string, string[]][];
  return first?.[0];
}

/**
 * The event of one stream entry, or undefined to skip it: an entry without an event field, one
 * that is not JSON, or an event of a format version this reader does not know. Skipped, not
 * thrown: a user's stream is shared by every run and read by every open client, so one entry
 * Sluice did not write (or a newer Sluice wrote) must not end them all, nor stop a reader that
 * would meet it again on every retry. Readers still page past it by its stream id.
 */
export function parseProgressEntry(id: string, fields: readonly string[]): ProgressEntry | undefined {
  const json = fields[fields.indexOf('e') + 1];
  if (!json) return undefined;
  let event: RunEvent;
  try {
    event = JSON.parse(json) as RunEvent;
  } catch {
    return undefined;
  }
  return event?.v === PROGRESS_EVENT_VERSION ? { ...event, id } : undefined;
}
