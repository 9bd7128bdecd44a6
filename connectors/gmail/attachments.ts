/**
 * Attachments as records carry them: listed by name, type and size, with their content only when
 * the stream asks (`attachments: { download: true }`). The bytes come from the raw message
 * already fetched, so a download costs no Gmail call. Text-like types are decoded to text (capped),
 * others kept as base64; an attachment over `maxBytes` or outside `types` stays listed, with why.
 */
import type { Attachment } from 'postal-mime';
import type { GmailAttachment } from './models.js';

/** The `attachments` stream param. */
export interface AttachmentRequest {
  download: true;
  /** Decoded bytes of one attachment carried at most. Default 5 MiB. */
  maxBytes?: number;
  /** MIME type prefixes carried (`'text/'`, `'application/pdf'`); default all. */
  types?: string[];
}

export const DEFAULT_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024;

const TEXT_TYPES = [
  'text/',
  'application/json',
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-yaml',
  'application/yaml',
  'application/csv',
  'application/x-sh',
  'application/sql',
  'application/x-ndjson',
  'message/rfc822',
];

/** Whether a type reads as text: `text/*`, JSON, XML (`+json`, `+xml` suffixes too), scripts, YAML. */
export function isTextType(mimeType: string): boolean {
  const type = mimeType.toLowerCase();
  return TEXT_TYPES.some((t) => type.startsWith(t)) || /\+(json|xml)$/.test(type);
}

/** One parsed attachment as listed, with its content when `request` asks for it and it passes. */
export function toGmailAttachment(a: Attachment, request: AttachmentRequest | undefined, maxTextChars: number): GmailAttachment {
  const bytes = typeof a.content === 'string' ? Buffer.from(a.content) : a.content instanceof ArrayBuffer ? Buffer.from(a.content) : Buffer.from(a.content.buffer, a.content.byteOffset, a.content.byteLength);
  const listed: GmailAttachment = { filename: a.filename ?? '(unnamed)', mimeType: a.mimeType, size: bytes.byteLength };
  if (!request) return listed;
  const types = request.types;
  if (types && !types.some((t) => a.mimeType.toLowerCase().startsWith(t.toLowerCase()))) return { ...listed, skipped: 'type not requested' };
  if (bytes.byteLength > (request.maxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES)) return { ...listed, skipped: 'too large' };
  if (!isTextType(a.mimeType)) return { ...listed, contentBase64: bytes.toString('base64') };
  const text = decodeText(bytes);
  return text.length > maxTextChars ? { ...listed, text: text.slice(0, maxTextChars), truncated: true } : { ...listed, text };
}

/** UTF-8 when the bytes are UTF-8 (a BOM dropped), else windows-1252, the usual legacy charset. */
function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}
