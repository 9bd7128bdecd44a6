/** Opaque cursors: base64url JSON, validated on the way back in (they travel through job data). */
import type { z } from 'zod';
import { SourceError } from 'sluice';
import { CONNECTOR } from './errors.js';

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(schema: S, cursor: string, stream: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  return checkCursor(schema, json, stream);
}

/** Validates a decoded cursor, or a part of one. */
export function checkCursor<S extends z.ZodType>(schema: S, value: unknown, stream: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new SourceError(`github.${stream}: unreadable cursor`, CONNECTOR);
  return result.data;
}
