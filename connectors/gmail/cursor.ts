/**
 * Where a Gmail read stands, typed and validated: a full listing (newest first, with the mailbox
 * history id recorded before it began) or a history replay from a history id. `ids` are messages
 * (or threads) of the current page not fetched yet because of a rate limit.
 */
import { z } from 'zod';
import { CursorError } from 'sluice';

const position = z.object({
  /** list: the history id recorded at the start; history: the start id of the replay. */
  h: z.string().regex(/^\d+$/),
  /** Page token of the next listing call. */
  t: z.string().optional(),
  /** The listing has no further page: finish `ids` and stop. */
  done: z.literal(true).optional(),
  ids: z.array(z.string()).optional(),
  /** history: the mailbox history id the replay reaches. */
  top: z.string().regex(/^\d+$/).optional(),
});

export const gmailCursor = z.discriminatedUnion('m', [position.extend({ m: z.literal('list') }), position.extend({ m: z.literal('history') })]);
export type GmailCursor = z.infer<typeof gmailCursor>;

export function decodeCursor(cursor: string): GmailCursor {
  let json: unknown;
  try {
    json = JSON.parse(cursor);
  } catch {
    throw new CursorError(`gmail: cursor is not JSON: ${cursor.slice(0, 80)}`, 'gmail');
  }
  const parsed = gmailCursor.safeParse(json);
  if (!parsed.success) throw new CursorError(`gmail: invalid cursor: ${z.prettifyError(parsed.error)}`, 'gmail');
  return parsed.data;
}

export const encodeCursor = (cursor: GmailCursor): string => JSON.stringify(cursor);
