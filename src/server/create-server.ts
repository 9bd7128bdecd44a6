import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { RunStore } from '../runtime/run-store.js';
import type { ServerContext, ServerEnv } from './context.js';
import { errorBody, HttpError } from './http-error.js';
import { ProgressHub } from './hub.js';
import { listen, type ListeningServer } from './listen.js';
import { resolveServerOptions, type ProgressServerOptions } from './options.js';
import { demoPageRoute } from './routes/demo-page.js';
import { healthRoute } from './routes/health.js';
import { progressRoute } from './routes/progress.js';
import { runsRoute } from './routes/runs.js';
import { streamRoute } from './routes/stream.js';
import { widgetRoute } from './routes/widget.js';
import { StreamRegistry } from './stream-registry.js';
import { userAccess } from './user-access.js';

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

/** Entries per stream per shared XREAD. */
const HUB_COUNT = 500;

/**
 * The HTTP side of progress: JSON and server-sent events over the users' Redis streams, guarded
 * by progress tokens. Holds no state that matters for correctness, so run as many as you like.
 */
export function createProgressServer(serverOptions: ProgressServerOptions): ProgressServer {
  const options = resolveServerOptions(serverOptions);
  const { sluice } = options;
  const context: ServerContext = {
    sluice,
    options,
    runStore: new RunStore(sluice.redis, sluice.keys),
    hub: new ProgressHub(sluice.redis, {
      blockMs: options.blockMs,
      count: HUB_COUNT,
      // CLIENT SETNAME takes no spaces; the prefix tells instances of different apps apart.
      connectionName: `${sluice.keys.prefix.replace(/[^\w.:{}-]/g, '_')}:progress-hub`,
    }),
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
  demoPageRoute(app, context);
  widgetRoute(app, context);
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
