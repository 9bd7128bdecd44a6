import type { ProgressEntry } from '../progress/events.js';
import type { Sluice } from '../runtime/sluice.js';
import { isAfterStreamId } from '../util/stream-id.js';
import { HttpError } from './http-error.js';
import { redactEntry } from './redact.js';

/** Server-sent events wire format. Payloads are single-line JSON, so one `data:` line each. */
const encoder = new TextEncoder();

function sseMessage(event: string, data: string, id?: string | null): Uint8Array {
  return encoder.encode(`${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${data}\n\n`);
}

/** Comment lines keep proxies and load balancers from closing an idle stream; clients ignore them. */
const SSE_PING = encoder.encode(': ping\n\n');

/** How long a browser's EventSource waits before reconnecting after the stream ends. */
const SSE_RETRY = encoder.encode('retry: 1000\n\n');

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  // Reverse proxies (nginx) would otherwise buffer the stream.
  'x-accel-buffering': 'no',
};

/** One progress event, encoded once as an SSE message and shared by every subscriber. */
export interface StreamMessage {
  id: string;
  bytes: Uint8Array;
}

export function toMessage(entry: ProgressEntry): StreamMessage {
  return { id: entry.id, bytes: sseMessage(entry.type, JSON.stringify(redactEntry(entry)), entry.id) };
}

/** Delivers a user's messages newer than `fromId` until the returned function is called (the hub). */
export type Subscribe = (userId: string, fromId: string, listener: (messages: StreamMessage[]) => void) => () => void;

/** Entries per XRANGE while catching up. */
const REPLAY_PAGE = 500;

export interface SseSessionOptions {
  sluice: Sluice;
  subscribe: Subscribe;
  userId: string;
  /** Last-Event-ID or ?since=; undefined starts with a snapshot. */
  resumeId: string | undefined;
  heartbeatMs: number;
  /** Bytes queued for a client that is not reading before its stream is ended. */
  maxQueuedBytes: number;
  /** The body of the `snapshot` message; its `lastEventId` is where the stream goes on from. */
  snapshot: () => Promise<{ lastEventId: string | null }>;
  onEnd: () => void;
  /** When the stream's token expires (ms since the epoch): the stream sends `token_expired` and ends. */
  expiresAt?: number;
}

/**
 * One open event stream. Order of business: `retry`, then either a snapshot (no resume point, or
 * one the stream no longer covers) or nothing, then a replay from the resume point while live
 * entries from the hub wait in a buffer, then the buffer, then live entries. Every message goes
 * through `send`, which drops ids at or before the last one sent: no gap, no duplicate.
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
  private expiry: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(private readonly options: SseSessionOptions) {
    ({ sink: this.sink, body: this.body } = webStreamSink(() => this.end(false)));
  }

  start(): void {
    this.run().catch((error: unknown) => {
      // The client reconnects with its last id and loses nothing; a Redis hiccup is not fatal.
      if (!this.ended) this.options.sluice.log.warn({ userId: this.options.userId, err: error instanceof Error ? error.message : String(error) }, 'progress stream ended by an error');
      this.close();
    });
  }

  /** Ends the response cleanly: an EventSource reconnects (elsewhere, behind a load balancer). */
  close(): void {
    this.end(true);
  }

  /**
   * Redis lost Sluice's state: says so (`state_lost`) and ends the stream. The client reconnects
   * without a resume point and starts over from a fresh snapshot.
   */
  stateLost(message: string): void {
    this.write(sseMessage('state_lost', JSON.stringify({ code: 'state_lost', message })));
    this.close();
  }

  private async run(): Promise<void> {
    const { sluice, userId, resumeId } = this.options;
    this.write(SSE_RETRY);
    this.heartbeat = setInterval(() => this.write(SSE_PING), this.options.heartbeatMs);
    if (this.options.expiresAt !== undefined) {
      // A token is checked when a stream opens; an open stream must not outlive it. The client
      // needs a fresh token to go on, so it is told why the stream ends.
      const expire = () => {
        this.write(sseMessage('token_expired', JSON.stringify({ code: 'token_expired', message: 'the progress token expired' })));
        this.close();
      };
      const expiresAt = this.options.expiresAt;
      // setTimeout's limit is about 24.8 days; a token living longer is checked again then.
      const check = () => {
        const left = expiresAt - Date.now();
        if (left <= 0) expire();
        else this.expiry = setTimeout(check, Math.min(left, 2_147_483_647));
      };
      check();
    }
    let from = resumeId;
    if (from === undefined || !(await sluice.canResumeProgress(userId, from))) {
      const body = await this.options.snapshot();
      this.write(sseMessage('snapshot', JSON.stringify(body), body.lastEventId));
      from = body.lastEventId ?? '0-0';
    }
    if (this.ended) return;
    this.lastSent = from;
    // Subscribe before the replay: whatever the replay does not see, the hub delivers.
    this.unsubscribe = this.options.subscribe(userId, from, (messages) => this.receive(messages));
    for (let cursor = from; ; ) {
      const page = await sluice.readProgress(userId, { after: cursor, count: REPLAY_PAGE });
      if (this.ended) return;
      for (const entry of page.entries) this.send(toMessage(entry));
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
    clearTimeout(this.expiry);
    this.unsubscribe?.();
    this.buffered = undefined;
    if (closeBody) this.sink.end();
    this.options.onEnd();
  }
}

/** Where an event stream's bytes go. */
interface SseSink {
  /** Queues bytes for the client; returns the bytes still waiting to be sent. */
  write(bytes: Uint8Array): number;
  /** Ends the response cleanly. */
  end(): void;
}

/** A web ReadableStream as the response body: works wherever the Hono app runs. */
function webStreamSink(onClientGone: () => void): { sink: SseSink; body: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const highWaterMark = 16 * 1024;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: onClientGone,
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
  const sink: SseSink = {
    write(bytes) {
      controller.enqueue(bytes);
      return highWaterMark - (controller.desiredSize ?? highWaterMark);
    },
    end() {
      try {
        controller.close();
      } catch {
        // Already closed, or cancelled by the client.
      }
    },
  };
  return { sink, body };
}

/**
 * The event streams open on this instance, per user: enforces the per-user cap and lets shutdown
 * end them all. Only a guard for one process; correctness never depends on it.
 */
export class StreamRegistry {
  private readonly byUser = new Map<string, Set<SseSession>>();
  private closing = false;

  constructor(private readonly maxPerUser: number) {}

  /** Builds and registers a stream for the user, or refuses with 429 (cap) or 503 (shutting down). */
  open(userId: string, create: (onEnd: () => void) => SseSession): SseSession {
    if (this.closing) throw new HttpError(503, 'shutting_down', 'this server is shutting down; reconnect');
    const sessions = this.byUser.get(userId) ?? new Set<SseSession>();
    if (sessions.size >= this.maxPerUser) {
      throw new HttpError(429, 'too_many_streams', `user already has ${sessions.size} open progress streams on this server (limit ${this.maxPerUser})`);
    }
    const session = create(() => {
      sessions.delete(session);
      if (sessions.size === 0 && this.byUser.get(userId) === sessions) this.byUser.delete(userId);
    });
    sessions.add(session);
    this.byUser.set(userId, sessions);
    return session;
  }

  get size(): number {
    let total = 0;
    for (const sessions of this.byUser.values()) total += sessions.size;
    return total;
  }

  /** Tells every open stream that Redis lost Sluice's state, and ends it. */
  stateLost(message: string): void {
    for (const sessions of [...this.byUser.values()]) for (const session of [...sessions]) session.stateLost(message);
  }

  /** Refuses new streams and ends every open one. */
  closeAll(): void {
    this.closing = true;
    for (const sessions of [...this.byUser.values()]) for (const session of [...sessions]) session.close();
  }
}
