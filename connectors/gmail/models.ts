/** Records of the Gmail streams: readable text plus the metadata an AI app filters and cites by. */

export interface GmailAddress {
  name: string;
  address: string;
}

/** Listed so an app knows it exists; never downloaded by the streams. */
export interface GmailAttachment {
  filename: string;
  mimeType: string;
  /** Decoded size in bytes. */
  size: number;
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
