/**
 * A raw RFC 822 message (Gmail's `format=raw`) to a readable record, on postal-mime: it decodes
 * transfer encodings, RFC 2047 headers and charsets through TextDecoder (Node's full ICU covers
 * ISO-2022-JP, GB2312, KOI8-R, windows-1252...), and has nesting limits of its own.
 * The work is bounded before and during parsing; a message that cannot be read throws
 * MailFormatError with the reason, and the stream turns that into a failure of that message only.
 */
import PostalMime, { type Address, type Email } from 'postal-mime';
import { toGmailAttachment, type AttachmentRequest } from './attachments.js';
import { fixC1 } from './cp1252.js';
import { htmlToText } from './html.js';
import type { GmailAddress, ParsedMail } from './models.js';
import { stripQuotedHistory } from './quotes.js';

export interface MimeLimits {
  /** Bytes of raw message accepted (Gmail's own limit is 25 MB of attachments, ~35 MB encoded). */
  maxRawBytes: number;
  /** Characters of body text kept (and of a downloaded text attachment). */
  maxTextChars: number;
  /** Depth of nested MIME parts; real mail stays under 10. */
  maxDepth: number;
}

export const DEFAULT_MIME_LIMITS: MimeLimits = {
  maxRawBytes: 40 * 1024 * 1024,
  maxTextChars: 64 * 1024,
  maxDepth: 32,
};

/** This message cannot be read; `message` says why. Fails the message, never the run. */
export class MailFormatError extends Error {
  override readonly name = 'MailFormatError';
}

/** Decodes Gmail's base64url `raw` field. */
export function decodeRaw(raw: string): Uint8Array {
  if (!/^[A-Za-z0-9_\-+/=\s]*$/.test(raw)) throw new MailFormatError('raw message is not base64url');
  return Buffer.from(raw, 'base64url');
}

/** `attachments`: carry their content too (see attachments.ts); else they are listed only. */
export async function parseMail(raw: Uint8Array, limits: Partial<MimeLimits> = {}, attachments?: AttachmentRequest): Promise<ParsedMail> {
  const limit = { ...DEFAULT_MIME_LIMITS, ...limits };
  if (raw.byteLength === 0) throw new MailFormatError('empty message');
  if (raw.byteLength > limit.maxRawBytes) {
    throw new MailFormatError(`message of ${raw.byteLength} bytes exceeds the ${limit.maxRawBytes}-byte limit`);
  }
  assertLooksLikeMail(raw);
  let email: Email;
  try {
    email = await PostalMime.parse(raw, {
      maxNestingDepth: limit.maxDepth,
      maxHeadersSize: 256 * 1024,
      maxRfc822NestingDepth: 4,
      attachmentEncoding: 'arraybuffer',
    });
  } catch (error) {
    throw new MailFormatError(`unreadable MIME structure: ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = bodyText(email, raw);
  const { text, stripped } = stripQuotedHistory(normalise(fixC1(body.text)));
  const truncated = body.truncated || text.length > limit.maxTextChars;
  return {
    from: firstMailbox(email.from),
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    subject: fixC1(email.subject ?? '').trim(),
    date: isoDate(email.date),
    messageId: email.messageId,
    inReplyTo: email.inReplyTo,
    text: truncated ? text.slice(0, limit.maxTextChars) : text,
    quotedStripped: stripped,
    truncated,
    attachments: email.attachments
      .filter((a) => !(a.related && a.disposition !== 'attachment'))
      .map((a) => toGmailAttachment(a, attachments, limit.maxTextChars)),
  };
}

/**
 * text/plain wins over HTML (multipart/alternative). postal-mime fills `text` from HTML with a
 * rough converter when a message has no plain part; html-to-text reads tables and lists better,
 * so an HTML-only message goes through it instead.
 */
function bodyText(email: Email, raw: Uint8Array): { text: string; truncated: boolean } {
  if (email.html && (email.text === undefined || !hasPlainPart(raw))) return htmlToText(email.html);
  return { text: email.text ?? '', truncated: false };
}

/** Whether any part declares text/plain (a message without Content-Type is plain and has no HTML). */
function hasPlainPart(raw: Uint8Array): boolean {
  return /content-type:\s*text\/plain/i.test(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1'));
}

/** Binary data is not mail: an Outlook .msg (OLE compound file), a zip, an image pasted as raw. */
function assertLooksLikeMail(raw: Uint8Array): void {
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 4096));
  if (head.subarray(0, 8).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))) {
    throw new MailFormatError('binary Outlook .msg file (OLE compound document), not an RFC 822 message');
  }
  const headerEnd = head.indexOf('\n\n') >= 0 ? head.indexOf('\n\n') : head.indexOf('\r\n\r\n');
  const headers = head.subarray(0, headerEnd >= 0 ? headerEnd : head.length);
  if (headers.includes(0)) throw new MailFormatError('binary data in the header section, not an RFC 822 message');
  if (!/^[!-9;-~]+:/.test(headers.toString('latin1'))) {
    throw new MailFormatError('no header line at the start, not an RFC 822 message');
  }
}

function normalise(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function mailboxes(list: Address[] | undefined): GmailAddress[] {
  const out: GmailAddress[] = [];
  for (const entry of list ?? []) {
    if (entry.group) out.push(...entry.group.map((m) => ({ name: fixC1(m.name), address: m.address })));
    else out.push({ name: fixC1(entry.name), address: entry.address });
  }
  return out;
}

function firstMailbox(address: Address | undefined): GmailAddress | undefined {
  return mailboxes(address ? [address] : [])[0];
}

function isoDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}
