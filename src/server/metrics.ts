import { timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { Gauge, type Registry } from 'prom-client';
import type { Sluice } from '../runtime/sluice.js';
import { bearerToken, type ServerEnv } from './auth.js';
import { HttpError } from './http-error.js';

/** Whether GET /metrics is served, and the bearer token it asks for (none: open to whoever reaches it). */
export interface ServerMetricsOptions {
  token?: string;
}

/** What a server reports at scrape time: its open event streams and the users its reader follows. */
interface StreamCounts {
  streams: number;
  watchedUsers: number;
}

// Servers that share one Sluice (one Registry) add up: the gauges are registered once per Registry.
const servers = new WeakMap<Registry, Set<() => StreamCounts>>();

/** Registers the server's gauges on its Sluice's Registry; returns what unregisters this server. */
export function registerServerMetrics(registry: Registry, counts: () => StreamCounts): () => void {
  let all = servers.get(registry);
  if (!all) {
    const set = new Set<() => StreamCounts>();
    all = set;
    servers.set(registry, set);
    const sum = (name: keyof StreamCounts) => [...set].reduce((total, read) => total + read()[name], 0);
    new Gauge({ name: 'sluice_sse_connections', help: 'Progress event streams (SSE) open on this process', registers: [registry], collect() { this.set(sum('streams')); } });
    new Gauge({ name: 'sluice_progress_watched_users', help: "Users whose progress streams this process's shared reader follows", registers: [registry], collect() { this.set(sum('watchedUsers')); } });
  }
  all.add(counts);
  return () => all.delete(counts);
}

/**
 * GET /metrics: the Prometheus exposition of this process (runtime, queues, event streams). With a
 * token, only `Authorization: Bearer <token>` gets it: the page names pipelines, queues and limiter
 * keys, which are the operator's business.
 */
export function metricsRoute(app: Hono<ServerEnv>, sluice: Sluice, options: ServerMetricsOptions): void {
  const expected = options.token === undefined ? undefined : Buffer.from(options.token);
  app.get('/metrics', async (c) => {
    if (expected) {
      const given = Buffer.from(bearerToken(c.req.header('authorization')) ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new HttpError(401, 'metrics_token', 'GET /metrics needs Authorization: Bearer <metrics token>');
      }
    }
    c.header('content-type', sluice.metrics.contentType);
    c.header('cache-control', 'no-store');
    return c.body(await sluice.metrics.metrics());
  });
}
