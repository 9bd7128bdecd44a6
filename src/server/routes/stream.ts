import type { Context, Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { HttpError } from '../http-error.js';
import { readProgressBody } from '../progress-body.js';
import { SseSession } from '../sse-session.js';
import { parseStreamId } from '../../util/stream-id.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  // Reverse proxies (nginx) would otherwise buffer the stream.
  'x-accel-buffering': 'no',
};

/** GET /v1/users/:userId/progress/stream: server-sent events, resumable by stream id. */
export function streamRoute(app: Hono<ServerEnv>, context: ServerContext): void {
  const { sluice, runStore, hub, streams, options } = context;
  app.get('/v1/users/:userId/progress/stream', (c) => {
    const userId = c.get('userId');
    const resumeId = resumePoint(c);
    const session = streams.open(
      userId,
      (onEnd) =>
        new SseSession({
          hub,
          redis: sluice.redis,
          key: sluice.keys.progress(userId).events,
          resumeId,
          heartbeatMs: options.heartbeatMs,
          maxQueuedBytes: options.maxQueuedBytes,
          snapshot: () => readProgressBody(sluice, runStore, userId),
          onEnd,
        }),
    );
    session.start();
    return new Response(session.body, { headers: SSE_HEADERS });
  });
}

/** `Last-Event-ID` (an EventSource reconnecting) wins over `?since=` (a client's first request). */
function resumePoint(c: Context<ServerEnv>): string | undefined {
  const header = c.req.header('last-event-id')?.trim();
  const value = header || c.req.query('since')?.trim() || undefined;
  if (value === undefined) return undefined;
  const id = parseStreamId(value);
  if (!id) throw new HttpError(400, 'invalid_event_id', `resume id ${JSON.stringify(value)} is not a stream id like 1700000000000-0`);
  return id;
}
