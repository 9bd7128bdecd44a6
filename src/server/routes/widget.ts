import type { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { HttpError } from '../http-error.js';
import { WidgetMissingError } from '../widget-loader.js';

/** GET /widget/sluice-progress.js: the `<sluice-progress>` element, when a script source is configured. */
export function widgetRoute(app: Hono<ServerEnv>, { options }: ServerContext): void {
  app.get('/widget/sluice-progress.js', async (c) => {
    const load = options.widgetScript;
    if (!load) throw new HttpError(404, 'not_found', 'this server has no widget script');
    let script: string;
    try {
      script = await load();
    } catch (error) {
      if (error instanceof WidgetMissingError) throw new HttpError(404, 'not_found', error.message);
      throw error;
    }
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'no-cache');
    return c.body(script);
  });
}
