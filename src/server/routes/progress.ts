import type { Hono } from 'hono';
import type { ServerContext, ServerEnv } from '../context.js';
import { readProgressBody } from '../progress-body.js';

/** GET /v1/users/:userId/progress: the user's runs now, and the stream id to follow from. */
export function progressRoute(app: Hono<ServerEnv>, { sluice, runStore }: ServerContext): void {
  app.get('/v1/users/:userId/progress', async (c) => {
    const body = await readProgressBody(sluice, runStore, c.get('userId'));
    c.header('cache-control', 'no-store');
    return c.json(body);
  });
}
