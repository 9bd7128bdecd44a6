import { randomBytes } from 'node:crypto';
import { InvalidInputError } from '../errors/index.js';

/**
 * User ids appear in Redis keys and URLs: a conservative alphabet keeps both safe. A plain regular
 * expression, not a schema: `sluice token` checks ids too, and should not wait for zod to load.
 */
const USER_ID = /^[A-Za-z0-9._@-]{1,128}$/;

export function parseUserId(value: unknown): string {
  if (typeof value === 'string' && USER_ID.test(value)) return value;
  const problem = typeof value === 'string' ? 'user id must be 1-128 letters, digits, or . _ @ -' : 'user id must be a string';
  throw new InvalidInputError(`Invalid user id ${JSON.stringify(value)}: ${problem}`);
}

/**
 * Sortable by start time, unique across processes. A run a schedule started begins with `s`
 * instead of `r`: every shard's priority follows from its run id, with no lookup.
 */
export function newRunId(trigger?: 'schedule'): string {
  return `${trigger === 'schedule' ? 's' : 'r'}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}

export const isScheduledRunId = (runId: string): boolean => runId.startsWith('s');
