import type { z } from 'zod';
import { SourceError } from './errors.js';

/**
 * A cursor a stream cannot read: tampered, truncated, or written by an older version of the
 * stream. Retrying the same cursor cannot help.
 */
export class CursorError extends SourceError {}

export interface CursorCodec<T> {
  encode(value: T): string;
  /** Throws CursorError naming the stream and what is wrong. */
  decode(cursor: string): T;
}

/**
 * Opaque cursors for one stream: base64url JSON, validated by `schema` on the way back in,
 * because cursors travel through job data and may come back from anywhere.
 */
export function cursorCodec<S extends z.ZodType>(schema: S, where: { connector: string; stream: string }): CursorCodec<z.output<S>> {
  const fail = (problem: string) => new CursorError(`${where.connector}.${where.stream}: malformed cursor: ${problem}`, where.connector);
  return {
    encode: (value) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url'),
    decode(cursor) {
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw fail('not base64url JSON');
      }
      const result = schema.safeParse(json);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw fail(issue ? `${issue.path.join('.') || 'value'}: ${issue.message}` : 'invalid');
      }
      return result.data;
    },
  };
}
