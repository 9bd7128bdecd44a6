import type { Redis } from 'ioredis';
import { parseProgressEntry } from '../progress/reader.js';
import { sseMessage } from './sse-format.js';

/** One stream entry, encoded once as an SSE message and shared by every subscriber. */
export interface StreamMessage {
  id: string;
  bytes: Uint8Array;
}

export type RawEntry = [id: string, fields: string[]];

/** The SSE message of a raw entry; undefined for events of a format version this server does not know. */
export function toMessage([id, fields]: RawEntry): StreamMessage | undefined {
  const entry = parseProgressEntry(id, fields);
  return entry && { id, bytes: sseMessage(entry.type, JSON.stringify(entry), id) };
}

export interface ReplayPage {
  messages: StreamMessage[];
  /** Last id read (known or not), to page on from. */
  lastId: string | undefined;
  /** True when the page was full, so more may follow. */
  full: boolean;
}

/** Entries strictly after `after`, one page (non-blocking XRANGE). */
export async function readAfter(redis: Redis, key: string, after: string, count: number): Promise<ReplayPage> {
  const raw = (await redis.xrange(key, `(${after}`, '+', 'COUNT', count)) as RawEntry[];
  const messages = raw.flatMap((entry) => toMessage(entry) ?? []);
  return { messages, lastId: raw.at(-1)?.[0], full: raw.length === count };
}
