import type { RedisClient } from '../store/redis.js';
import type { KeyBuilder } from '../store/keys.js';
import { isAfterStreamId } from '../util/stream-id.js';
import { PROGRESS_EVENT_VERSION, type ProgressEntry, type RunEvent, type RunSnapshot } from './events.js';

/** Every run of a user as last published, newest first. */
export async function readSnapshot(redis: RedisClient, keys: KeyBuilder, userId: string): Promise<RunSnapshot[]> {
  const all = await redis.hgetall(keys.progress(userId).snapshot);
  return Object.entries(all)
    .filter(([field]) => !field.startsWith('seq:'))
    .map(([, json]) => JSON.parse(json) as RunSnapshot)
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

/** One run of a user as last published (one HGET), or undefined. */
export async function findPublishedRun(redis: RedisClient, keys: KeyBuilder, userId: string, runId: string): Promise<RunSnapshot | undefined> {
  if (runId.startsWith('seq:')) return undefined;
  const json = await redis.hget(keys.progress(userId).snapshot, runId);
  return json ? (JSON.parse(json) as RunSnapshot) : undefined;
}

export interface ReadEventsOptions {
  /** Stream id to resume after (exclusive). Default: from the start of the stream. */
  after?: string;
  count?: number;
  /** Wait up to this long for new events when none are there yet. */
  blockMs?: number;
}

export interface ProgressPage {
  /** The page's events in order; entries that cannot be read are left out (see parseProgressEntry). */
  entries: ProgressEntry[];
  /** Last id read, readable or not: the next page continues after it. */
  lastId: string | undefined;
  /** True when the page was full, so more may follow at once. */
  full: boolean;
}

type RawEntry = [id: string, fields: string[]];

/** One page of events after a stream id, in order. A reader that resumes from `lastId` misses nothing still in the stream. */
export async function readEventPage(redis: RedisClient, keys: KeyBuilder, userId: string, options: ReadEventsOptions = {}): Promise<ProgressPage> {
  const key = keys.progress(userId).events;
  const count = options.count ?? 500;
  let raw: RawEntry[];
  if (options.blockMs !== undefined) {
    const result = (await redis.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', key, options.after ?? '0-0')) as [string, RawEntry[]][] | null;
    raw = result?.[0]?.[1] ?? [];
  } else {
    raw = (await redis.xrange(key, options.after ? `(${options.after}` : '-', '+', 'COUNT', count)) as RawEntry[];
  }
  return toPage(raw, count);
}

export function toPage(raw: readonly RawEntry[], count: number): ProgressPage {
  return { entries: raw.flatMap(([id, fields]) => parseProgressEntry(id, fields) ?? []), lastId: raw.at(-1)?.[0], full: raw.length === count };
}

/** Newest id in a user's stream, or null when it has none. */
export async function latestEventId(redis: RedisClient, keys: KeyBuilder, userId: string): Promise<string | null> {
  const [last] = (await redis.xrevrange(keys.progress(userId).events, '+', '-', 'COUNT', 1)) as RawEntry[];
  return last?.[0] ?? null;
}

/**
 * Whether a reader resuming after `id` still finds every later event in the stream. Not when the
 * stream was trimmed past it (events it never saw are gone), nor when the id is newer than anything
 * the stream ever generated (the stream was deleted and started again).
 */
export async function coversEventsAfter(redis: RedisClient, keys: KeyBuilder, userId: string, id: string): Promise<boolean> {
  let info: unknown[];
  try {
    info = (await redis.xinfo('STREAM', keys.progress(userId).events)) as unknown[];
  } catch (error) {
    if (/no such key/i.test(String(error))) return id === '0-0';
    throw error;
  }
  const field = (name: string) => info[info.indexOf(name) + 1];
  const length = Number(field('length'));
  const added = Number(field('entries-added'));
  const lastGenerated = String(field('last-generated-id'));
  const first = (field('first-entry') as RawEntry | null)?.[0];
  if (isAfterStreamId(id, lastGenerated)) return false;
  // Trimming drops the oldest entries, so entries were lost after the reader's id only if some
  // were removed and the oldest one left (or, with none left, the newest ever) is newer than it.
  if (added <= length) return true;
  return !isAfterStreamId(first ?? lastGenerated, id);
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
