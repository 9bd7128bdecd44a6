import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { ItemFailure } from '../connector/types.js';
import { estimateSecondsLeft } from '../progress/eta.js';
import type { RunSnapshot } from '../progress/events.js';
import type { RunSchedule } from '../client/types.js';
import type { ScheduleInfo } from '../runtime/schedules.js';
import type { Sluice } from '../runtime/sluice.js';
import { parseStreamId } from '../util/stream-id.js';
import { userAccess, type ServerEnv } from './auth.js';
import { errorBody, HttpError } from './http-error.js';
import { ProgressHub } from './hub.js';
import { listen, type ListeningServer } from './listen.js';
import { resolveServerOptions, type ProgressServerOptions, type ResolvedServerOptions } from './options.js';
import { SSE_HEADERS, SseSession, StreamRegistry } from './sse.js';
import { widgetRoutes } from './widget.js';

export interface ProgressServer {
  /** The Hono app, to mount in your own server if you prefer. */
  app: Hono<ServerEnv>;
  /** Serves the app; `host` defaults to 127.0.0.1, `port` 0 picks a free one. */
  listen(port: number, host?: string): Promise<ListeningServer>;
  /** Ends every event stream and stops the shared reader (what `listen().close()` also does). */
  close(): Promise<void>;
  /** Event streams open on this instance, and user streams the shared reader follows. */
  stats(): { streams: number; watchedUsers: number };
}

export interface ProgressRun extends RunSnapshot {
  /** Rough seconds left, while running and once the total is known. */
  etaSeconds?: number;
  /** The user's re-sync schedule of this run's pipeline, with its next fire time. */
  schedule?: RunSchedule;
  /** The run's most recent failed items. */
  failures: ItemFailure[];
}

/** Body of GET /v1/users/:userId/progress and data of the SSE `snapshot` message. */
export interface ProgressBody {
  userId: string;
  /** Newest stream id when the snapshot was read: stream from here and nothing is missed. */
  lastEventId: string | null;
  runs: ProgressRun[];
}

/** What the routes share: one per server. */
interface ServerContext {
  sluice: Sluice;
  hub: ProgressHub;
  streams: StreamRegistry;
  options: ResolvedServerOptions;
}

/** Entries per stream per shared XREAD. */
const HUB_COUNT = 500;

/**
 * The HTTP side of progress: JSON and server-sent events over the users' progress streams, guarded
 * by progress tokens. Holds no state that matters for correctness, so run as many as you like.
 */
export function createProgressServer(serverOptions: ProgressServerOptions): ProgressServer {
  const options = resolveServerOptions(serverOptions);
  const { sluice } = options;
  const context: ServerContext = {
    sluice,
    options,
    hub: new ProgressHub(sluice, { blockMs: options.blockMs, count: HUB_COUNT, connectionName: 'progress-hub' }),
    streams: new StreamRegistry(options.maxStreamsPerUser),
  };

  const app = new Hono<ServerEnv>();
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      if (error.status === 401) c.header('www-authenticate', 'Bearer');
      // Clients back off for this long: a stream slot frees up, or another instance takes over.
      if (error.status === 429) c.header('retry-after', '5');
      if (error.status === 503) c.header('retry-after', '1');
      return c.json(error.body, error.status);
    }
    console.error('sluice progress server:', error);
    return c.json(errorBody('internal', 'internal server error'), 500);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404));
  if (options.cors) {
    app.use(
      '*',
      cors({
        origin: options.cors.origins,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Authorization', 'Last-Event-ID', 'Content-Type'],
        exposeHeaders: [],
        maxAge: 600,
      }),
    );
  }
  healthRoute(app, context);
  widgetRoutes(app, options);
  app.use('/v1/users/:userId/*', userAccess(options.secret));
  progressRoute(app, context);
  streamRoute(app, context);
  runsRoute(app, context);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      context.streams.closeAll();
      await context.hub.close();
    })());
  return {
    app,
    close,
    listen: (port, host = '127.0.0.1') => listen(app, port, host, close),
    stats: () => ({ streams: context.streams.size, watchedUsers: context.hub.streamCount }),
  };
}

/** GET /healthz: 200 while Redis answers PING, 503 otherwise (a load balancer takes us out). */
function healthRoute(app: Hono<ServerEnv>, { sluice }: ServerContext): void {
  app.get('/healthz', async (c) => {
    if (await sluice.ping()) return c.json({ ok: true });
    return c.json(errorBody('redis_unavailable', 'Redis did not answer PING'), 503);
  });
}

/** GET /v1/users/:userId/progress: the user's runs now, and the stream id to follow from. */
function progressRoute(app: Hono<ServerEnv>, { sluice }: ServerContext): void {
  app.get('/v1/users/:userId/progress', async (c) => {
    const body = await readProgressBody(sluice, c.get('userId'));
    c.header('cache-control', 'no-store');
    return c.json(body);
  });
}

async function readProgressBody(sluice: Sluice, userId: string): Promise<ProgressBody> {
  // The id first, then the snapshot: any event after the id is delivered to a client that streams
  // from it, and the snapshot it renders is at least as new as the id.
  const lastEventId = await sluice.progressPosition(userId);
  const snapshots = await sluice.status(userId);
  const schedules = new Map((await sluice.schedules.list(userId)).map((s) => [s.pipelineId, s]));
  const now = Date.now();
  const runs = await Promise.all(
    snapshots.map(async (run): Promise<ProgressRun> => {
      const failures = await sluice.recentFailures(run.pipeline, userId, run.runId);
      const etaSeconds = estimateSecondsLeft(run, now);
      const schedule = schedules.get(run.pipeline);
      return { ...run, ...(etaSeconds === undefined ? {} : { etaSeconds }), ...(schedule ? { schedule: runSchedule(schedule) } : {}), failures };
    }),
  );
  return { userId, lastEventId, runs };
}

/** GET /v1/users/:userId/progress/stream: server-sent events, resumable by stream id. */
function streamRoute(app: Hono<ServerEnv>, { sluice, hub, streams, options }: ServerContext): void {
  app.get('/v1/users/:userId/progress/stream', (c) => {
    const userId = c.get('userId');
    const resumeId = resumePoint(c);
    const session = streams.open(
      userId,
      (onEnd) =>
        new SseSession({
          sluice,
          subscribe: (user, fromId, listener) => hub.subscribe(user, fromId, listener),
          userId,
          resumeId,
          heartbeatMs: options.heartbeatMs,
          maxQueuedBytes: options.maxQueuedBytes,
          snapshot: () => readProgressBody(sluice, userId),
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

const startRunBody = z.strictObject({
  pipeline: z.string().min(1),
  input: z.record(z.string(), z.unknown()).optional(),
});

/** POST /v1/users/:userId/runs: starts a run (or returns the one already going) -> 202. */
function runsRoute(app: Hono<ServerEnv>, { sluice, options }: ServerContext): void {
  const known = () => sluice.config.pipelines.map((p) => p.id);
  app.post(
    '/v1/users/:userId/runs',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: (c) => c.json(errorBody('body_too_large', `request body is larger than ${options.maxBodyBytes} bytes`), 413),
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        throw new HttpError(400, 'invalid_body', 'request body must be JSON like {"pipeline":"<id>","input":{}}');
      }
      const parsed = startRunBody.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(400, 'invalid_body', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      const { pipeline, input } = parsed.data;
      if (!known().includes(pipeline)) {
        throw new HttpError(404, 'unknown_pipeline', `Unknown pipeline "${pipeline}". Known: ${known().join(', ')}`, { known: known() });
      }
      const run = await sluice.startRun(pipeline, { userId: c.get('userId'), ...(input ? { input } : {}) });
      return c.json({ runId: run.runId, created: run.created }, 202);
    },
  );
}

/** The part of a schedule a progress client shows. */
function runSchedule({ every, cron, tz, status, reason, nextRunAt }: ScheduleInfo): RunSchedule {
  return { ...(every ? { every } : {}), ...(cron ? { cron } : {}), ...(tz ? { tz } : {}), status, ...(reason ? { reason } : {}), ...(nextRunAt ? { nextRunAt } : {}) };
}
