import { describe, expect, it } from 'vitest';
import { SseParser, type SseMessage } from '../src/client/sse-parser.js';

function parse(chunks: (string | Uint8Array)[]) {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ onMessage: (m) => messages.push(m), onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { messages, comments, retries, lastEventId: parser.lastEventId };
}

/** Every way to cut `bytes` in two, plus one byte at a time. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  for (let i = 0; i <= bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  out.push([...bytes].map((b) => Uint8Array.of(b)));
  return out;
}

describe('SSE parser', () => {
  it('joins multi-line data with \\n and keeps event type and id', () => {
    const { messages } = parse(['id: 1-0\nevent: run.progress\ndata: {"a":\ndata: 1}\n\n']);
    expect(messages).toEqual([{ event: 'run.progress', data: '{"a":\n1}', id: '1-0' }]);
  });

  it('accepts CRLF, CR and LF line endings, mixed', () => {
    const { messages } = parse(['data: a\r\ndata: b\rdata: c\n\r\nevent: x\rdata: d\r\r']);
    expect(messages).toEqual([
      { event: 'message', data: 'a\nb\nc', id: undefined },
      { event: 'x', data: 'd', id: undefined },
    ]);
  });

  it('treats a CR at the end of a chunk and an LF at the start of the next as one line end', () => {
    const { messages } = parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(messages).toEqual([{ event: 'message', data: 'a\nb', id: undefined }]);
  });

  it('reports comments and retry, and ignores unknown fields and bad retry values', () => {
    const { messages, comments, retries } = parse([': ping\n\nretry: 1000\nretry: 1.5\nretry: soon\nfoo: bar\ndata\n\n:\n\n']);
    expect(comments).toEqual(['ping', '']);
    expect(retries).toEqual([1000]);
    // `data` with no colon is a field with an empty value: an event with empty data.
    expect(messages).toEqual([{ event: 'message', data: '', id: undefined }]);
  });

  it('strips one leading space only, and keeps colons in values', () => {
    const { messages } = parse(['data:  two spaces: and a colon\ndata:none\n\n']);
    expect(messages[0]!.data).toBe(' two spaces: and a colon\nnone');
  });

  it('dispatches nothing for a block without data, but its id carries over to later events', () => {
    const { messages, lastEventId } = parse(['id: 7-0\n\nevent: snapshot\n\ndata: x\n\n']);
    expect(messages).toEqual([{ event: 'message', data: 'x', id: '7-0' }]);
    expect(lastEventId).toBe('7-0');
  });

  it('ignores an id containing NUL, and resets the event type after each dispatch', () => {
    const { messages } = parse(['id: 1-0\nevent: a\ndata: x\n\nid: bad\0id\ndata: y\n\n']);
    expect(messages).toEqual([
      { event: 'a', data: 'x', id: '1-0' },
      { event: 'message', data: 'y', id: '1-0' },
    ]);
  });

  it('discards an event cut off by the end of the stream', () => {
    const { messages } = parse(['data: whole\n\ndata: half']);
    expect(messages.map((m) => m.data)).toEqual(['whole']);
  });

  it('strips a leading byte order mark', () => {
    const { messages } = parse([new TextEncoder().encode('\uFEFFdata: x\n\n')]);
    expect(messages).toEqual([{ event: 'message', data: 'x', id: undefined }]);
  });

  it('gives the same messages however the bytes are split, even inside a UTF-8 character or a CRLF', () => {
    const text = 'id: 12-3\r\nevent: item.failed\r\ndata: {"reason":"naïve 日本語 🚀"}\r\n: ping\r\n\r\ndata: é\r\ndata: 2\n\n';
    const bytes = new TextEncoder().encode(text);
    const expected = parse([text]).messages;
    expect(expected).toEqual([
      { event: 'item.failed', data: '{"reason":"naïve 日本語 🚀"}', id: '12-3' },
      { event: 'message', data: 'é\n2', id: '12-3' },
    ]);
    for (const chunks of splits(bytes)) expect(parse(chunks).messages).toEqual(expected);
  });
});
