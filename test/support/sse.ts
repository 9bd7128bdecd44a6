/**
 * A minimal server-sent events reader over fetch, parsing `text/event-stream` by hand so tests
 * see exactly what the server wrote: messages, comments (`: ping`) and `retry:` lines.
 */
export type SseItem =
  | { kind: 'message'; id?: string; event: string; data: string }
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number };

export type SseMessage = Extract<SseItem, { kind: 'message' }>;

export interface SseStream {
  status: number;
  headers: Headers;
  /** The response body, for non-200 answers (JSON errors). */
  text(): Promise<string>;
  /** The next item, or undefined once the server ended the stream. */
  next(): Promise<SseItem | undefined>;
  /** The next message (skipping comments and retry lines), or undefined at the end. */
  nextMessage(): Promise<SseMessage | undefined>;
  /** The next `count` messages; fails if the stream ends first. */
  messages(count: number): Promise<SseMessage[]>;
  /** Resolves when the server ends the stream, with the messages still read before that. */
  ended(): Promise<SseMessage[]>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const decoder = new TextDecoder();
  const reader = response.ok ? response.body!.getReader() : undefined;
  const queue: SseItem[] = [];
  let buffer = '';
  let done = false;
  let fields: { id?: string; event?: string; data?: string[] } = {};

  const parseLine = (line: string) => {
    if (line === '') {
      if (fields.data !== undefined) {
        queue.push({ kind: 'message', ...(fields.id !== undefined ? { id: fields.id } : {}), event: fields.event ?? 'message', data: fields.data.join('\n') });
      }
      fields = {};
      return;
    }
    if (line.startsWith(':')) return void queue.push({ kind: 'comment', text: line.slice(1).trimStart() });
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') fields.id = value;
    else if (name === 'event') fields.event = value;
    else if (name === 'data') (fields.data ??= []).push(value);
    else if (name === 'retry') queue.push({ kind: 'retry', ms: Number(value) });
  };

  const next = async (): Promise<SseItem | undefined> => {
    if (!reader) throw new Error(`not an event stream: HTTP ${response.status}`);
    while (queue.length === 0 && !done) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) {
        done = true;
        break;
      }
      buffer += decoder.decode(chunk.value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        parseLine(line);
      }
    }
    return queue.shift();
  };

  const nextMessage = async (): Promise<SseMessage | undefined> => {
    for (let item = await next(); item; item = await next()) if (item.kind === 'message') return item;
    return undefined;
  };

  return {
    status: response.status,
    headers: response.headers,
    text: () => response.text(),
    next,
    nextMessage,
    async messages(count) {
      const out: SseMessage[] = [];
      while (out.length < count) {
        const message = await nextMessage();
        if (!message) throw new Error(`stream ended after ${out.length} of ${count} messages`);
        out.push(message);
      }
      return out;
    },
    async ended() {
      const rest: SseMessage[] = [];
      for (let message = await nextMessage(); message; message = await nextMessage()) rest.push(message);
      return rest;
    },
    close: () => abort.abort(),
  };
}
