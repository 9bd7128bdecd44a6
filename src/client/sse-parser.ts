/** One dispatched server-sent event. */
export interface SseMessage {
  /** `message` when the server gave no `event:` field. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last event id the stream set (it carries over to later events, as in the spec). */
  id: string | undefined;
}

export interface SseHandlers {
  onMessage(message: SseMessage): void;
  /** A valid `retry:` field: the reconnection delay the server asks for. */
  onRetry?(ms: number): void;
  /** A comment line (`: ping`), without the colon. Servers use them as heartbeats. */
  onComment?(text: string): void;
}

/**
 * An incremental `text/event-stream` parser following the WHATWG interpretation rules. Feed it
 * bytes as they arrive, split anywhere (even inside a UTF-8 character or a CRLF).
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8'); // strips a leading BOM, keeps partial characters between chunks
  private buffer = '';
  private skipLeadingLF = false;
  private started = false;
  private data: string[] = [];
  private eventType = '';
  private lastId: string | undefined;

  constructor(private readonly handlers: SseHandlers) {}

  /** The id the spec would send as `Last-Event-ID` on reconnection. */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  feed(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.skipLeadingLF && text.length > 0) {
      this.skipLeadingLF = false;
      if (text.charCodeAt(0) === 0x0a) text = text.slice(1);
    }
    this.buffer += text;
    // CRLF, CR or LF end a line; a CR at the end of a chunk may be the first half of a CRLF.
    // A regex per call: a handler may feed another parser while we are in this loop.
    const lineEnd = /\r\n?|\n/g;
    let start = 0;
    for (let match = lineEnd.exec(this.buffer); match; match = lineEnd.exec(this.buffer)) {
      const line = this.buffer.slice(start, match.index);
      start = match.index + match[0].length;
      if (match[0] === '\r' && start === this.buffer.length) this.skipLeadingLF = true;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  /** End of stream: an event without its closing blank line is discarded, as the spec says. */
  end(): void {
    this.decoder.decode();
    this.buffer = '';
    this.data = [];
    this.eventType = '';
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.charCodeAt(0) === 0x3a) return this.handlers.onComment?.(line.slice(1).replace(/^ /, ''));
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const raw = colon === -1 ? '' : line.slice(colon + 1);
    const value = raw.charCodeAt(0) === 0x20 ? raw.slice(1) : raw;
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(Number(value));
        break;
      default: // unknown fields are ignored
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const message: SseMessage = { event: this.eventType || 'message', data: this.data.join('\n'), id: this.lastId };
    this.data = [];
    this.eventType = '';
    this.handlers.onMessage(message);
  }
}
