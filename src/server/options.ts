import { requireAdminSecret } from '../auth/admin-token.js';
import { MIN_SECRET_BYTES } from '../auth/token.js';
import type { Sluice } from '../runtime/sluice.js';
import type { ServerMetricsOptions } from './metrics.js';

export interface ProgressServerOptions {
  sluice: Sluice;
  /** Signs and verifies progress tokens; every instance behind a load balancer needs the same one. */
  secret: string;
  /** Browser origins allowed to call the API. Default: none (same origin only). */
  cors?: { origins: string[] | '*' };
  /** An SSE comment (`: ping`) this often keeps proxies from closing idle streams. Default 15 s. */
  heartbeatMs?: number;
  /** Concurrent event streams one user may hold on one instance. Default 5. */
  maxStreamsPerUser?: number;
  /** Largest request body accepted. Default 16 KiB. */
  maxBodyBytes?: number;
  /** Source of GET /widget/sluice-progress.js. Default: that route answers 404. */
  widgetScript?: () => Promise<string>;
  /** Longest the shared XREAD blocks; new streams interrupt it with CLIENT UNBLOCK. Default 1000 ms. */
  blockMs?: number;
  /** Bytes queued for a client that stopped reading before its stream is ended. Default 1 MiB. */
  maxQueuedBytes?: number;
  /**
   * Serves the operator view (GET /admin and /admin/api/...) to holders of admin tokens signed with
   * `admin.secret`, which must differ from `secret`. Default: no admin routes.
   */
  admin?: { secret: string };
  /** Serve GET /metrics (Prometheus), with `token` asked as a bearer token. Default: not served (404). */
  metrics?: ServerMetricsOptions;
}

export type ResolvedServerOptions = Required<Omit<ProgressServerOptions, 'cors' | 'widgetScript' | 'admin' | 'metrics'>> &
  Pick<ProgressServerOptions, 'cors' | 'widgetScript' | 'admin' | 'metrics'>;

export function resolveServerOptions(options: ProgressServerOptions): ResolvedServerOptions {
  if (!options.secret) throw new TypeError('createProgressServer needs a non-empty secret to verify progress tokens');
  if (Buffer.byteLength(options.secret) < MIN_SECRET_BYTES) {
    throw new TypeError(`createProgressServer needs a secret of at least ${MIN_SECRET_BYTES} bytes (make one with: openssl rand -hex 32)`);
  }
  if (options.admin) {
    requireAdminSecret(options.admin.secret);
    // One secret for both would let whoever holds it mint either kind: keep them apart.
    if (options.admin.secret === options.secret) throw new TypeError('the admin secret must differ from the progress token secret');
  }
  const token = options.metrics?.token;
  if (token !== undefined && Buffer.byteLength(token) < MIN_METRICS_TOKEN_BYTES) {
    throw new TypeError(`metrics.token must be at least ${MIN_METRICS_TOKEN_BYTES} bytes, got ${Buffer.byteLength(token)} (make one with: openssl rand -hex 16)`);
  }
  const resolved = {
    heartbeatMs: 15_000,
    maxStreamsPerUser: 5,
    maxBodyBytes: 16 * 1024,
    blockMs: 1000,
    maxQueuedBytes: 1024 * 1024,
    ...definedOnly(options),
  } as ResolvedServerOptions;
  for (const name of ['heartbeatMs', 'maxStreamsPerUser', 'maxBodyBytes', 'blockMs', 'maxQueuedBytes'] as const) {
    const value = resolved[name];
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return resolved;
}

/** A metrics token short enough to guess would guard nothing. */
export const MIN_METRICS_TOKEN_BYTES = 16;

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
