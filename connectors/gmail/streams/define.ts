/**
 * What the Gmail streams share: history as the change feed, history ids compared as numbers, the
 * scope params, and where a read starts (its cursor; else the last sync's history id; else a new
 * full listing, which records the mailbox's history id first).
 */
import { z } from 'zod';
import type { Page, ReadContext, StreamDefinition } from 'sluice';
import type { ApiFor, GmailApi } from '../client.js';
import { httpStatus } from '../errors.js';
import { decodeCursor, type GmailCursor } from '../cursor.js';
import type { Scope } from '../message.js';

export const scopeParams = z.object({
  labelIds: z.array(z.string().min(1)).optional(),
  query: z.string().optional(),
  includeSpamTrash: z.boolean().optional(),
  /** Carry attachments' content: `{ download: true, maxBytes?, types? }` (see attachments.ts). */
  attachments: z
    .object({
      download: z.literal(true),
      maxBytes: z.number().int().positive().optional(),
      types: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .optional(),
});
export type ScopeParams = z.infer<typeof scopeParams>;

export const HISTORY_TYPES = ['messageAdded', 'messageDeleted', 'labelAdded', 'labelRemoved'];

export function defineGmailStream<T>(apiFor: ApiFor, read: (api: GmailApi, scope: Scope, at: GmailCursor) => Promise<Page<T>>): StreamDefinition<T, ScopeParams> {
  return {
    changeFeed: 'history',
    watermark: 'number',
    params: scopeParams,
    async read(context, cursor) {
      const api = apiFor(context as ReadContext<unknown>);
      const at: GmailCursor = cursor ? decodeCursor(cursor) : context.since ? { m: 'history', h: context.since } : await startListing(api);
      return read(api, context.params, at);
    },
  };
}

/** The mailbox's history id now: the watermark a full listing hands to the next sync. */
export async function startListing(api: GmailApi): Promise<GmailCursor> {
  const profile = await api.call('users.getProfile', (users, o) => users.getProfile({ userId: 'me' }, o));
  if (!profile.historyId) throw new TypeError('Gmail getProfile answered without a historyId');
  return { m: 'list', h: profile.historyId };
}

/** The query of a listing page (messages.list and threads.list take the same). */
export function listingParams(api: GmailApi, scope: Scope, pageToken: string | undefined) {
  return {
    userId: 'me',
    maxResults: api.options.pageSize,
    ...(pageToken ? { pageToken } : {}),
    ...(scope.labelIds?.length ? { labelIds: scope.labelIds } : {}),
    ...(scope.query ? { q: scope.query } : {}),
    includeSpamTrash: scope.includeSpamTrash ?? false,
  };
}

/** One page of the history replay, or `expired` when Gmail no longer keeps the start id (about a week). */
export async function historyPage(api: GmailApi, at: GmailCursor) {
  try {
    return await api.call('users.history.list', (users, o) =>
      users.history.list({ userId: 'me', startHistoryId: at.h, maxResults: 500, historyTypes: HISTORY_TYPES, ...(at.t ? { pageToken: at.t } : {}) }, o),
    );
  } catch (error) {
    if (httpStatus((error as { cause?: unknown }).cause) === 404) return 'expired' as const;
    throw error;
  }
}
