/** Records of the Gmail streams: readable text plus the metadata an AI app filters and cites by. */

export interface GmailAddress {
  name: string;
  address: string;
}

/**
 * Listed so an app knows it exists; its content is carried only when the stream asks
 * (`attachments: { download: true }`), as `text` or `contentBase64`, else `skipped` says why not.
 */
export interface GmailAttachment {
  filename: string;
  mimeType: string;
  /** Decoded size in bytes. */
  size: number;
  /** A text-like attachment's content, decoded (UTF-8, else windows-1252), capped at 64 KiB characters. */
  text?: string;
  /** `text` was longer than the cap and was cut. */
  truncated?: boolean;
  /** Any other attachment's bytes, base64. */
  contentBase64?: string;
  /** Downloads were asked, but not of this one. */
  skipped?: 'too large' | 'type not requested';
}

/** What a raw RFC 822 message reads as, before Gmail's own metadata is added. */
export interface ParsedMail {
  from?: GmailAddress;
  to: GmailAddress[];
  cc: GmailAddress[];
  subject: string;
  /** ISO 8601 when the Date header parses, else absent. */
  date?: string;
  messageId?: string;
  inReplyTo?: string;
  /** The body as text: text/plain preferred, HTML converted, quoted history removed. */
  text: string;
  /** Quoted reply history ("On … wrote:", "> " lines, Outlook's "Original Message") was removed. */
  quotedStripped: boolean;
  /** The body was longer than the cap and was cut. */
  truncated: boolean;
  attachments: GmailAttachment[];
}

export interface GmailMessage extends ParsedMail {
  id: string;
  threadId: string;
  labelIds: string[];
  snippet: string;
  /** Gmail's internal receive time (ISO 8601). */
  internalDate?: string;
}

export interface GmailThread {
  id: string;
  /** The thread's messages, oldest first. */
  messages: GmailMessage[];
  subject: string;
  labelIds: string[];
  snippet: string;
}
