import type { ProgressEntry, RunEventType } from '../progress/events.js';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { authHeaders, endpoint, progressPath, type TokenSource } from './endpoints.js';
import { errorFromResponse, ProgressError } from './errors.js';
import { SseParser, type SseMessage } from './sse-parser.js';
import { isAfterStreamId } from '../util/stream-id.js';
import type { ConnectionStatus, ProgressSnapshotBody } from './types.js';

export interface SubscribeOptions {
  /** Base URL of the progress server, e.g. `https://api.example.com` (relative URLs resolve against the page). */
  url: string;
  userId: string;
  /** Bearer token, or a function called before every connection (to refresh an expiring token). */
  token?: TokenSource;
  /** Every progress event, once, in stream order, across reconnections. */
  onEvent(entry: ProgressEntry): void;
  /** The whole state: at the start, and again when the server could not resume (reset to it). */
  onSnapshot(snapshot: ProgressSnapshotBody): void;
  /** A final error (401, 403, 400...): the subscription has stopped and will not retry. */
  onError?(error: ProgressError): void;
  /** Connection changes; `reason` says why a reconnection is coming. */
  onStatus?(status: ConnectionStatus, reason?: ProgressError): void;
  /** Resume after this stream id instead of starting from a snapshot. */
  lastEventId?: string;
  backoff?: BackoffOptions;
  /** Reconnect when nothing (not even a heartbeat) arrived for this long; 0 turns it off. Default 45 s. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ProgressSubscription {
  /** Stops at once: aborts the request, cancels a pending retry; no callback fires from here on (not even onStatus). */
  close(): void;
  readonly status: ConnectionStatus;
  /** The last stream id delivered (or covered by a snapshot): where a reconnection resumes. */
  readonly lastEventId: string | null;
  /** Settles when the subscription has stopped for good (closed, or a final error). */
  readonly done: Promise<void>;
}

const EVENT_TYPES: ReadonlySet<string> = new Set<RunEventType>(['run.started', 'run.progress', 'run.completed', 'run.failed', 'run.cancelled', 'item.failed']);

/**
 * Follows a user's progress over SSE with `fetch` (EventSource cannot send an Authorization header).
 * Reconnects with exponential backoff and jitter, resumes with `Last-Event-ID`, and drops anything at
 * or before the last id it delivered, so callers see every event exactly once.
 */
export function subscribeProgress(options: SubscribeOptions): ProgressSubscription {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const maxMs = options.backoff?.maxMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let initialMs = options.backoff?.initialMs ?? 1000;
  let lastEventId: string | null = options.lastEventId ?? null;
  let status: ConnectionStatus = 'connecting';
  let closed = false;
  let attempt = 0;
  let connection: AbortController | undefined;
  let wakeUp: (() => void) | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set by a `state_lost` message: why the stream ends, and that the next one starts over. */
  let stateLost: ProgressError | undefined;

  const setStatus = (next: ConnectionStatus, reason?: ProgressError) => {
    if (closed || (next === status && !reason)) return;
    status = next;
    guarded(() => options.onStatus?.(next, reason));
  };

  // A throwing handler is a bug in the caller: report it like an event listener would, keep streaming.
  const guarded = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  };

  const onMessage = (message: SseMessage) => {
    if (closed) return;
    if (message.event === 'snapshot') {
      const body = JSON.parse(message.data) as ProgressSnapshotBody;
      lastEventId = body.lastEventId ?? message.id ?? null;
      guarded(() => options.onSnapshot(body));
      return;
    }
    if (message.event === 'state_lost') {
      // The server's Redis lost its state: what we hold is gone too. Start over from a snapshot.
      const body = JSON.parse(message.data) as { message?: string };
      stateLost = new ProgressError(body.message ?? 'the server lost its progress state', { code: 'state_lost' });
      lastEventId = null;
      return;
    }
    if (!EVENT_TYPES.has(message.event)) return; // a newer server's message: ignore it
    const entry = JSON.parse(message.data) as ProgressEntry;
    const id = entry.id ?? message.id;
    if (id === undefined) throw new ProgressError(`${message.event} event without an id`, { code: 'bad_response' });
    if (lastEventId !== null && !isAfterStreamId(id, lastEventId)) return; // replayed across a reconnection
    lastEventId = id;
    guarded(() => options.onEvent({ ...entry, id }));
  };

  const connect = async (): Promise<void> => {
    const controller = new AbortController();
    connection = controller;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      if (idleTimeoutMs <= 0) return;
      clearTimeout(idle);
      const timeout = new ProgressError('no data or heartbeat from the server', { code: 'idle_timeout' });
      idle = setTimeout(() => controller.abort(timeout), idleTimeoutMs);
    };
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(await authHeaders(options.token)) };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      if (closed) return;
      alive();
      const response = await fetchImpl(endpoint(options.url, `${progressPath(options.userId)}/stream`), {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (!response.ok) throw await errorFromResponse(response);
      if (!response.body || !(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        const type = response.headers.get('content-type') ?? 'no content type';
        throw new ProgressError(`expected an event stream, got ${type}`, { code: 'bad_response', status: response.status });
      }
      setStatus('live');
      const parser = new SseParser({
        onMessage: (message) => {
          onMessage(message);
          attempt = 0; // a healthy stream: the next drop starts the backoff over
        },
        onComment: () => (attempt = 0),
        onRetry: (ms) => (initialMs = ms),
      });
      const reader = response.body.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done || closed) break;
          alive();
          parser.feed(value);
        }
      } finally {
        parser.end();
        reader.cancel().catch(() => undefined);
      }
    } finally {
      clearTimeout(idle);
    }
  };

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeUp = resolve;
      retryTimer = setTimeout(resolve, ms);
    });

  const run = async () => {
    while (!closed) {
      let reason: ProgressError;
      try {
        await connect();
        if (closed) return;
        reason = stateLost ?? new ProgressError('the server closed the stream', { code: 'stream_closed' });
        stateLost = undefined;
      } catch (error) {
        if (closed) return;
        reason = toProgressError(error, connection);
        if (reason.fatal) {
          const final = reason;
          guarded(() => options.onError?.(final));
          setStatus('error');
          closed = true;
          return;
        }
      }
      const delay = Math.max(backoffDelay(attempt, initialMs, maxMs), reason.retryAfterMs ?? 0);
      attempt += 1;
      setStatus('reconnecting', reason);
      await wait(delay);
    }
  };

  const done = run();

  return {
    close() {
      if (closed) return;
      closed = true;
      status = 'closed';
      clearTimeout(retryTimer);
      wakeUp?.();
      connection?.abort();
    },
    get status() {
      return status;
    },
    get lastEventId() {
      return lastEventId;
    },
    done,
  };
}


function toProgressError(error: unknown, connection: AbortController | undefined): ProgressError {
  const reason: unknown = connection?.signal.aborted ? connection.signal.reason : error;
  if (reason instanceof ProgressError) return reason;
  if (error instanceof SyntaxError) return new ProgressError(`malformed message: ${error.message}`, { code: 'bad_response' });
  // fetch says only "fetch failed"; the cause (ECONNREFUSED, ...) is what a reader needs.
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return new ProgressError(`${error instanceof Error ? error.message : String(error)}${cause}`, { code: 'network' });
}
