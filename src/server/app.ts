import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { ItemFailure } from '../connector/types.js';
import { InvalidInputError } from '../errors/index.js';
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
import { metricsRoute, registerServerMetrics } from './metrics.js';
import { resolveServerOptions, type ProgressServerOptions, type ResolvedServerOptions } from './options.js';
import { SSE_HEADERS, SseSession, StreamRegistry } from './sse.js';
import { redactFailure, redactRun } from './redact.js';
import { widgetRoutes } from './widget.js';
import { adminRoutes } from './admin/routes.js';

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
    // The browser gets a code and an id; the details (paths, upstream answers) stay in the log.
    const requestId = randomUUID();
    sluice.log.error({ requestId, method: c.req.method, path: c.req.path, err: error instanceof Error ? (error.stack ?? error.message) : String(error) }, 'request failed');
    return c.json(errorBody('internal', 'internal server error', { requestId }), 500);
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
  if (options.metrics) metricsRoute(app, sluice, options.metrics);
  widgetRoutes(app, options);
  if (options.admin) adminRoutes(app, sluice, options.admin.secret);
  app.use('/v1/users/:userId/*', userAccess(options.secret));
  progressRoute(app, context);
  streamRoute(app, context);
  runsRoute(app, context);
  cancelRoute(app, context);

  const unregister = registerServerMetrics(sluice.metrics, () => ({ streams: context.streams.size, watchedUsers: context.hub.streamCount }));
  // One line in the log, and every open stream told (`state_lost`), when Redis lost Sluice's state.
  const stopWatching = context.sluice.onStateLost((loss) => {
    sluice.log.error({ code: 'state_lost' }, loss.message);
    context.streams.stateLost(loss.message);
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      unregister();
      stopWatching();
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
      // Browsers get error texts without host paths or upstream bodies (see redact.ts).
      return {
        ...redactRun(run),
        ...(etaSeconds === undefined ? {} : { etaSeconds }),
        ...(schedule ? { schedule: runSchedule(schedule) } : {}),
        failures: failures.map(redactFailure),
      };
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
          expiresAt: c.get('tokenExpiresAt'),
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

/** Deepest JSON a run request may nest: deep enough for any real input, far from a stack overflow. */
const MAX_INPUT_DEPTH = 32;

/** Depth of a parsed JSON value, counted without recursion and given up on past `limit`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

const startRunBody = z.strictObject({
  pipeline: z.string().min(1),
  input: z.record(z.string(), z.unknown()).optional(),
});

/**
 * POST /v1/users/:userId/runs: starts a run (or returns the one already going) -> 202.
 * The caller is an end user: only the input fields the pipeline lists in `userInput` are accepted.
 */
function runsRoute(app: Hono<ServerEnv>, { sluice, options }: ServerContext): void {
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
      if (nestingDepth(json, MAX_INPUT_DEPTH) > MAX_INPUT_DEPTH) {
        throw new HttpError(400, 'invalid_body', `request body is nested deeper than ${MAX_INPUT_DEPTH} levels`);
      }
      const parsed = startRunBody.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new HttpError(400, 'invalid_body', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      const { pipeline, input } = parsed.data;
      // The list of pipeline ids is the operator's business, not the browser's.
      const definition = sluice.config.pipelines.find((p) => p.id === pipeline);
      if (!definition) throw new HttpError(404, 'unknown_pipeline', `unknown pipeline "${pipeline}"`);
      const refused = Object.keys(input ?? {}).filter((field) => !definition.userInput.includes(field));
      if (refused.length > 0) {
        throw new HttpError(400, 'input_not_allowed', `input fields an end user may not set: ${refused.join(', ')}`, { fields: refused });
      }
      let run;
      try {
        run = await sluice.startRun(pipeline, { userId: c.get('userId'), ...(input ? { input } : {}) });
      } catch (error) {
        if (error instanceof InvalidInputError) {
          throw error.code === 'too_many_runs' ? new HttpError(429, 'too_many_runs', error.message) : new HttpError(400, 'invalid_input', error.message);
        }
        throw error;
      }
      return c.json({ runId: run.runId, created: run.created }, 202);
    },
  );
}

/**
 * POST /v1/users/:userId/runs/:runId/cancel: cancels a run of the token's user -> 200 with the run,
 * now `cancelled`; 404 when the user has no such run; 409 when it had already ended (with the run).
 */
function cancelRoute(app: Hono<ServerEnv>, { sluice }: ServerContext): void {
  app.post('/v1/users/:userId/runs/:runId/cancel', async (c) => {
    const userId = c.get('userId');
    const runId = c.req.param('runId');
    // Runs are found under the token's user only: another user's run id is simply not found.
    const found = await sluice.findRun(userId, runId);
    const known = found && sluice.config.pipelines.some((p) => p.id === found.pipeline);
    if (!found || !known) throw new HttpError(404, 'run_not_found', `user ${userId} has no run ${runId}`);
    const result = await sluice.cancelRun(found.pipeline, userId, runId);
    if (result.outcome === 'not-found') throw new HttpError(404, 'run_not_found', `user ${userId} has no run ${runId}`);
    if (result.outcome === 'finished') {
      throw new HttpError(409, 'run_finished', `run ${runId} already ended ${result.run.status}; nothing to cancel`, { run: redactRun(result.run) });
    }
    return c.json({ run: redactRun(result.run) }, 200);
  });
}

/** The part of a schedule a progress client shows. */
function runSchedule({ every, cron, tz, status, reason, nextRunAt }: ScheduleInfo): RunSchedule {
  return { ...(every ? { every } : {}), ...(cron ? { cron } : {}), ...(tz ? { tz } : {}), status, ...(reason ? { reason } : {}), ...(nextRunAt ? { nextRunAt } : {}) };
}
