/**
 * Gmail connector: a user's mailbox as readable records, incrementally through Gmail's history
 * feed, within Google's per-user quota. Credentials per user come from the provider as
 * `{ clientId, clientSecret, refreshToken }` or `{ token, expiresAt }`; quota units are charged on
 * the limiter key `gmail:user:{userId}` (configure its `tpm`, e.g. 15000) before each call.
 *
 *   const source = gmail.messages({ labelIds: ['INBOX'] });
 *   createGmailConnector({ rootUrl: fake.url, tokenUrl: fake.tokenUrl })   // a proxy or the fake server
 */
import { defineConnector } from 'sluice';
import { createTokenCache } from './auth.js';
import { createApiProvider } from './client.js';
import { UserGate } from './gate.js';
import { resolveOptions, type GmailConnectorOptions } from './options.js';
import { messagesStream } from './streams/messages.js';
import { threadsStream } from './streams/threads.js';

export function createGmailConnector(options?: GmailConnectorOptions) {
  const resolved = resolveOptions(options);
  const apiFor = createApiProvider(resolved, createTokenCache(resolved.tokenUrl), new UserGate(resolved.concurrency));
  return defineConnector({
    id: 'gmail',
    streams: {
      messages: messagesStream(apiFor),
      threads: threadsStream(apiFor),
    },
  });
}

export type GmailConnector = ReturnType<typeof createGmailConnector>;

/** The connector with Google's endpoints. */
export const gmail = createGmailConnector();

export { parseMail, decodeRaw, MailFormatError, DEFAULT_MIME_LIMITS, type MimeLimits } from './mime.js';
export { QUOTA_UNITS } from './client.js';
export type { AttachmentRequest } from './attachments.js';
export type { GmailConnectorOptions } from './options.js';
export type { GmailAddress, GmailAttachment, GmailMessage, GmailThread, ParsedMail } from './models.js';
export type { MessagesParams } from './streams/messages.js';
export type { ThreadsParams } from './streams/threads.js';
