/**
 * One Gmail message, fetched raw and read into a record; whether it belongs to the stream's scope
 * (its labels) is decided on what Gmail holds now, so history replays need no ordering logic.
 */
import { contentHash, type ItemFailure, type SourceRecord } from 'sluice';
import type { AttachmentRequest } from './attachments.js';
import type { GmailApi } from './client.js';
import { httpStatus } from './errors.js';
import { decodeRaw, MailFormatError, parseMail } from './mime.js';
import type { GmailMessage } from './models.js';

export interface Scope {
  labelIds?: string[];
  query?: string;
  includeSpamTrash?: boolean;
  /** Carry attachments' content (taken from the raw message: no extra call). */
  attachments?: AttachmentRequest;
}

export type Fetched =
  | { kind: 'record'; record: SourceRecord<GmailMessage> }
  | { kind: 'failure'; failure: ItemFailure }
  /** Deleted, or no longer in the stream's scope (a label removed, moved to trash). */
  | { kind: 'gone'; id: string };

/** Gmail's `labelIds` filter: every listed label present; spam and trash out unless asked. */
export function inScope(labels: readonly string[], scope: Scope): boolean {
  if (!scope.includeSpamTrash && labels.some((l) => l === 'SPAM' || l === 'TRASH')) return false;
  return (scope.labelIds ?? []).every((l) => labels.includes(l));
}

export async function fetchMessage(api: GmailApi, id: string, scope: Scope): Promise<Fetched> {
  let data;
  try {
    data = await api.call('users.messages.get', (users, o) => users.messages.get({ userId: 'me', id, format: 'raw' }, o));
  } catch (error) {
    if (httpStatus((error as { cause?: unknown }).cause) === 404) return { kind: 'gone', id };
    throw error;
  }
  const labelIds = data.labelIds ?? [];
  if (!inScope(labelIds, scope)) return { kind: 'gone', id };
  try {
    const parsed = await parseMail(decodeRaw(data.raw ?? ''), {}, scope.attachments);
    const message: GmailMessage = {
      id,
      threadId: data.threadId ?? id,
      labelIds,
      snippet: data.snippet ?? '',
      ...(data.internalDate ? { internalDate: new Date(Number(data.internalDate)).toISOString() } : {}),
      ...parsed,
    };
    return { kind: 'record', record: { id, hash: contentHash(message), data: message } };
  } catch (error) {
    // Reading is local work on this message's bytes: whatever fails here fails this message only.
    const reason = error instanceof MailFormatError ? error.message : `unreadable message: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: 'failure', failure: { id, reason: `message ${id}: ${reason}` } };
  }
}
