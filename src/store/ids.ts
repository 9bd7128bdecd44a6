import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InvalidInputError } from '../errors/index.js';

/** User ids appear in Redis keys and URLs: a conservative alphabet keeps both safe. */
export const userIdSchema = z
  .string({ message: 'user id must be a string' })
  .regex(/^[A-Za-z0-9._@-]{1,128}$/, 'user id must be 1-128 letters, digits, or . _ @ -');

export function parseUserId(value: unknown): string {
  const result = userIdSchema.safeParse(value);
  if (!result.success) throw new InvalidInputError(`Invalid user id ${JSON.stringify(value)}: ${result.error.issues[0]?.message}`);
  return result.data;
}

/** Sortable by start time, unique across processes. */
export function newRunId(): string {
  return `r${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
}
