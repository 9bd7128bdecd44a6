import type { Hono } from 'hono';
import type { Redis } from 'ioredis';
import type { ServerContext, ServerEnv } from '../context.js';
import { errorBody } from '../http-error.js';

const PING_TIMEOUT_MS = 2000;

/** GET /healthz: 200 while Redis answers PING, 503 otherwise (a load balancer takes us out). */
export function healthRoute(app: Hono<ServerEnv>, { sluice }: ServerContext): void {
  app.get('/healthz', async (c) => {
    if (await redisAnswers(sluice.redis)) return c.json({ ok: true });
    return c.json(errorBody('redis_unavailable', 'Redis did not answer PING'), 503);
  });
}

async function redisAnswers(redis: Redis): Promise<boolean> {
  // While Redis is away the shared connection queues commands: answer after the timeout rather
  // than wait on that queue (a load balancer's check must not hang).
  if (redis.status === 'end') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, PING_TIMEOUT_MS, false)));
  try {
    return await Promise.race([redis.ping().then((reply) => reply === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
