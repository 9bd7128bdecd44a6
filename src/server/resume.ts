import type { Redis } from 'ioredis';
import { isAfterStreamId } from '../util/stream-id.js';

/**
 * Whether a client resuming after `resumeId` must start over from a snapshot: the stream was
 * trimmed past its id (events it never saw are gone), or the id is newer than anything the
 * stream ever generated (the stream was deleted and started again).
 */
export async function mustResetFrom(redis: Redis, key: string, resumeId: string): Promise<boolean> {
  let info: unknown[];
  try {
    info = (await redis.xinfo('STREAM', key)) as unknown[];
  } catch (error) {
    if (/no such key/i.test(String(error))) return resumeId !== '0-0';
    throw error;
  }
  const field = (name: string) => info[info.indexOf(name) + 1];
  const length = Number(field('length'));
  const added = Number(field('entries-added'));
  const lastGenerated = String(field('last-generated-id'));
  const first = (field('first-entry') as [string, string[]] | null)?.[0];
  if (isAfterStreamId(resumeId, lastGenerated)) return true;
  // Trimming drops the oldest entries, so entries were lost after the client's id only if some
  // were removed and the oldest one left (or, with none left, the newest ever) is newer than it.
  if (added <= length) return false;
  return isAfterStreamId(first ?? lastGenerated, resumeId);
}
