/**
 * `threads`: a conversation as one record, its messages oldest first, so a summary reads the
 * whole exchange once (quoted history is already cut from each message). Same scope, first sync
 * and history replay as `messages`; a thread any change touched is read again whole, and one whose
 * messages are all deleted or out of scope is reported in `deleted`.
 * Gmail's threads.get has no raw format: the thread's ids come from it (10 units), each message
 * from messages.get raw (5 units).
 */
import { contentHash, type ItemFailure, type Page, type SourceRecord, type StreamDefinition } from 'sluice';
import type { ApiFor, GmailApi } from '../client.js';
import { encodeCursor, type GmailCursor } from '../cursor.js';
import { httpStatus } from '../errors.js';
import { fetchAll } from '../fetch-all.js';
import { fetchMessage, inScope, type Scope } from '../message.js';
import type { GmailMessage, GmailThread } from '../models.js';
import { defineGmailStream, historyPage, listingParams, startListing, type ScopeParams } from './define.js';
import { touchedThreads } from './history.js';

export type ThreadsParams = ScopeParams;

type ThreadOutcome = { kind: 'record'; record: SourceRecord<GmailThread>; failures: ItemFailure[] } | { kind: 'gone'; id: string };

export function threadsStream(apiFor: ApiFor): StreamDefinition<GmailThread, ThreadsParams> {
  return defineGmailStream(apiFor, async (api, scope, start) => {
    let at = start;
    let ids = at.ids;
    let after: GmailCursor = { ...at, ids: undefined };
    if (!ids && at.m === 'history') {
      const history = await historyPage(api, at);
      if (history === 'expired') at = await startListing(api);
      else {
        ids = touchedThreads(history.history ?? []);
        const top = history.historyId ?? at.top ?? at.h;
        after = { m: 'history', h: at.h, top, ...(history.nextPageToken ? { t: history.nextPageToken } : { done: true as const }) };
      }
    }
    if (!ids) {
      const list = await api.call('users.threads.list', (users, o) => users.threads.list(listingParams(api, scope, at.t), o));
      ids = (list.threads ?? []).map((t) => t.id).filter((id): id is string => !!id);
      after = { m: 'list', h: at.h, ...(list.nextPageToken ? { t: list.nextPageToken } : { done: true as const }) };
    }
    const outcome = await fetchAll(ids, Math.max(1, Math.floor(api.options.concurrency / 2)), (id) => readThread(api, id, scope));
    if (outcome.rateLimit && outcome.results.length === 0) throw outcome.rateLimit;
    const records: SourceRecord<GmailThread>[] = [];
    const failures: ItemFailure[] = [];
    const deleted: string[] = [];
    for (const item of outcome.results) {
      if (item.kind === 'gone') deleted.push(item.id);
      else {
        records.push(item.record);
        failures.push(...item.failures);
      }
    }
    const next = outcome.left.length > 0 ? { ...after, ids: outcome.left } : after.done ? undefined : after;
    return {
      records,
      ...(failures.length ? { failures } : {}),
      ...(deleted.length ? { deleted } : {}),
      ...(next ? { nextCursor: encodeCursor(next) } : {}),
      ...(after.m === 'list' ? { fullListing: true } : {}),
      watermark: after.m === 'history' ? (after.top ?? after.h) : after.h,
    } satisfies Page<GmailThread>;
  });
}

/** The thread now: its messages in scope, oldest first; `gone` when none is left. */
async function readThread(api: GmailApi, id: string, scope: Scope): Promise<ThreadOutcome> {
  let thread;
  try {
    thread = await api.call('users.threads.get', (users, o) => users.threads.get({ userId: 'me', id, format: 'minimal' }, o));
  } catch (error) {
    if (httpStatus((error as { cause?: unknown }).cause) === 404) return { kind: 'gone', id };
    throw error;
  }
  const listed = (thread.messages ?? []).filter((m) => m.id && inScope(m.labelIds ?? [], { ...scope, labelIds: undefined }));
  // A thread is in scope when any of its messages carries the stream's labels (Gmail lists it so).
  if (!listed.some((m) => inScope(m.labelIds ?? [], scope))) return { kind: 'gone', id };
  const messages: GmailMessage[] = [];
  const failures: ItemFailure[] = [];
  for (const m of listed) {
    const fetched = await fetchMessage(api, m.id!, { includeSpamTrash: scope.includeSpamTrash, attachments: scope.attachments });
    if (fetched.kind === 'record') messages.push(fetched.record.data);
    else if (fetched.kind === 'failure') failures.push(fetched.failure);
  }
  if (messages.length === 0) return failures.length ? { kind: 'record', record: emptyThread(id), failures } : { kind: 'gone', id };
  const first = messages[0]!;
  const data: GmailThread = {
    id,
    messages,
    subject: first.subject,
    labelIds: [...new Set(messages.flatMap((m) => m.labelIds))],
    snippet: messages[messages.length - 1]!.snippet,
  };
  return { kind: 'record', record: { id, hash: contentHash(data), data }, failures };
}

const emptyThread = (id: string): SourceRecord<GmailThread> => {
  const data: GmailThread = { id, messages: [], subject: '', labelIds: [], snippet: '' };
  return { id, hash: contentHash(data), data };
};
