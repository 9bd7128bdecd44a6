/**
 * `messages`: one record per message, filtered by label ids and a Gmail search query (spam and
 * trash excluded unless asked).
 * - First sync: the mailbox history id is recorded (getProfile) before listing, so nothing that
 *   changes during the listing is missed next time; ids are listed newest first, a page at a time,
 *   and each page's messages are fetched in parallel.
 * - Re-sync (`since` = that history id): history.list replays what changed; every message added or
 *   relabelled is fetched as Gmail holds it now, and one deleted or out of the stream's labels is
 *   reported in `deleted`. A history id Gmail no longer keeps (404) falls back to a full listing.
 * A `query` is applied by Gmail on listings only: a re-sync cannot test it, so a relabelled
 * message is judged by its labels alone.
 */
import type { ItemFailure, Page, SourceRecord, StreamDefinition } from 'sluice';
import type { ApiFor, GmailApi } from '../client.js';
import { encodeCursor, type GmailCursor } from '../cursor.js';
import { fetchAll } from '../fetch-all.js';
import { fetchMessage, type Fetched, type Scope } from '../message.js';
import type { GmailMessage } from '../models.js';
import { defineGmailStream, historyPage, listingParams, startListing, type ScopeParams } from './define.js';
import { historyChanges } from './history.js';

export type MessagesParams = ScopeParams;

export function messagesStream(apiFor: ApiFor): StreamDefinition<GmailMessage, MessagesParams> {
  return defineGmailStream(apiFor, async (api, scope, at) => {
    if (at.m === 'history') {
      const page = await readHistory(api, scope, at);
      if (page !== 'expired') return page;
      return readListing(api, scope, await startListing(api));
    }
    return readListing(api, scope, at);
  });
}

async function readListing(api: GmailApi, scope: Scope, at: GmailCursor): Promise<Page<GmailMessage>> {
  let ids = at.ids;
  let after: GmailCursor = { m: 'list', h: at.h, ...(at.t ? { t: at.t } : {}), ...(at.done ? { done: true as const } : {}) };
  let total: number | undefined;
  if (!ids) {
    const list = await api.call('users.messages.list', (users, o) => users.messages.list(listingParams(api, scope, at.t), o));
    ids = (list.messages ?? []).map((m) => m.id).filter((id): id is string => !!id);
    after = { m: 'list', h: at.h, ...(list.nextPageToken ? { t: list.nextPageToken } : { done: true as const }) };
    if (!at.t) total = list.resultSizeEstimate ?? undefined;
  }
  const page = await fetchPage(api, scope, ids, after);
  // A listing sees the whole scope: what it did not see is swept once it ends clean.
  return { ...page, fullListing: true, watermark: at.h, ...(total !== undefined ? { total } : {}) };
}

async function readHistory(api: GmailApi, scope: Scope, at: GmailCursor): Promise<Page<GmailMessage> | 'expired'> {
  let ids = at.ids;
  let deleted: string[] = [];
  let after: GmailCursor = { ...at, ids: undefined };
  if (!ids) {
    const history = await historyPage(api, at);
    if (history === 'expired') return 'expired';
    const changes = historyChanges(history.history ?? []);
    ids = changes.touched;
    deleted = changes.deleted;
    const top = history.historyId ?? at.top ?? at.h;
    after = { m: 'history', h: at.h, top, ...(history.nextPageToken ? { t: history.nextPageToken } : { done: true as const }) };
  }
  const page = await fetchPage(api, scope, ids, after);
  return { ...page, deleted: [...deleted, ...(page.deleted ?? [])], watermark: after.top ?? at.h };
}

/** Fetches `ids`; with a rate limit mid-page, the rest goes back in the cursor (or throws when nothing was done). */
async function fetchPage(api: GmailApi, scope: Scope, ids: string[], after: GmailCursor): Promise<Page<GmailMessage>> {
  const outcome = await fetchAll(ids, api.options.concurrency, (id) => fetchMessage(api, id, scope));
  if (outcome.rateLimit && outcome.results.length === 0) throw outcome.rateLimit;
  const records: SourceRecord<GmailMessage>[] = [];
  const failures: ItemFailure[] = [];
  const deleted: string[] = [];
  for (const item of outcome.results as Fetched[]) {
    if (item.kind === 'record') records.push(item.record);
    else if (item.kind === 'failure') failures.push(item.failure);
    else deleted.push(item.id);
  }
  const next: GmailCursor | undefined = outcome.left.length > 0 ? { ...after, ids: outcome.left } : after.done ? undefined : after;
  return {
    records,
    ...(failures.length ? { failures } : {}),
    ...(deleted.length ? { deleted } : {}),
    ...(next ? { nextCursor: encodeCursor(next) } : {}),
  };
}
