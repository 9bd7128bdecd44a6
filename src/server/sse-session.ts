import type { Redis } from 'ioredis';
import type { ProgressHub } from './hub.js';
import type { ProgressBody } from './progress-body.js';
import { mustResetFrom } from './resume.js';
import { SSE_PING, SSE_RETRY, sseMessage } from './sse-format.js';
import { webStreamSink, type SseSink } from './sse-sink.js';
import { readAfter, type StreamMessage } from './stream-entries.js';
import { isAfterStreamId } from '../util/stream-id.js';

/** Entries per XRANGE while catching up. */
const REPLAY_PAGE = 500;

export interface SseSessionOptions {
  hub: ProgressHub;
  redis: Redis;
  /** The user's progress stream key. */
  key: string;
  /** Last-Event-ID or ?since=; undefined starts with a snapshot. */
  resumeId: string | undefined;
  heartbeatMs: number;
  /** Bytes queued for a client that is not reading before its stream is ended. */
  maxQueuedBytes: number;
  snapshot: () => Promise<ProgressBody>;
  onEnd: () => void;
}

/**
 * One open event stream. Order of business: `retry`, then either a snapshot (no resume point, or
 * one the stream no longer covers) or nothing, then a replay by XRANGE from the resume point while
 * live entries from the hub wait in a buffer, then the buffer, then live entries. Every message
 * goes through `send`, which drops ids at or before the last one sent: no gap, no duplicate.
 */
export class SseSession {
  /** The response body. */
  readonly body: ReadableStream<Uint8Array>;
  private readonly sink: SseSink;
  private lastSent = '0-0';
  /** Live entries that arrived during the replay; undefined once live. */
  private buffered: StreamMessage[] | undefined = [];
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly options: SseSessionOptions) {
    ({ sink: this.sink, body: this.body } = webStreamSink(() => this.end(false)));
  }

  start(): void {
    this.run().catch((error: unknown) => {
      // The client reconnects with its last id and loses nothing; a Redis hiccup is not fatal.
      if (!this.ended) console.error(`sluice progress stream: ${error instanceof Error ? error.message : String(error)}`);
      this.close();
    });
  }

  /** Ends the response cleanly: an EventSource reconnects (elsewhere, behind a load balancer). */
  close(): void {
    this.end(true);
  }

  private async run(): Promise<void> {
    const { hub, redis, key, resumeId } = this.options;
    this.write(SSE_RETRY);
    this.heartbeat = setInterval(() => this.write(SSE_PING), this.options.heartbeatMs);
    let from = resumeId;
    if (from === undefined || (await mustResetFrom(redis, key, from))) {
      const body = await this.options.snapshot();
      this.write(sseMessage('snapshot', JSON.stringify(body), body.lastEventId));
      from = body.lastEventId ?? '0-0';
    }
    if (this.ended) return;
    this.lastSent = from;
    // Subscribe before the replay: whatever the XRANGE does not see, the hub delivers.
    this.unsubscribe = hub.subscribe(key, from, (messages) => this.receive(messages));
    for (let cursor = from; ; ) {
      const page = await readAfter(redis, key, cursor, REPLAY_PAGE);
      if (this.ended) return;
      for (const message of page.messages) this.send(message);
      if (!page.full || page.lastId === undefined) break;
      cursor = page.lastId;
    }
    const buffered = this.buffered ?? [];
    this.buffered = undefined;
    for (const message of buffered) this.send(message);
  }

  private receive(messages: StreamMessage[]): void {
    if (this.buffered) this.buffered.push(...messages);
    else for (const message of messages) this.send(message);
  }

  private send(message: StreamMessage): void {
    if (!isAfterStreamId(message.id, this.lastSent)) return;
    this.lastSent = message.id;
    this.write(message.bytes);
  }

  private write(bytes: Uint8Array): void {
    if (this.ended) return;
    // A client that stopped reading would grow this queue without bound. Ending its stream is
    // safe: it reconnects with the last id it did read and the replay fills in the rest.
    if (this.sink.write(bytes) > this.options.maxQueuedBytes) this.close();
  }

  private end(closeBody: boolean): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.unsubscribe?.();
    this.buffered = undefined;
    if (closeBody) this.sink.end();
    this.options.onEnd();
  }
}
