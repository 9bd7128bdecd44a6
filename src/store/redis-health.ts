import type { RedisClient } from './redis.js';

/** What a process says about Redis going away and coming back: one line each. */
export interface RedisHealthListener {
  down(reason: string): void;
  up(downForMs: number): void;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);

/** An error that says the connection failed, not that a command was wrong. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /Connection is closed|connect E[A-Z]+|Stream isn't writeable|getaddrinfo|Reached the max retries per request limit|read E[A-Z]+|write E[A-Z]+|socket hang up/i.test(error.message);
}

/**
 * Watches every Redis connection of a process (and the duplicates made from them, BullMQ's blocking
 * ones included) and turns their 'error' events into two lines per outage: one when the first
 * connection fails, one when the last failing one is ready again. A listener on each connection
 * also keeps ioredis from printing "Unhandled error event" stack traces.
 */
export class RedisHealth {
  private readonly failing = new Set<RedisClient>();
  private downSince: number | undefined;
  private suppressed = 0;

  constructor(private readonly listener: RedisHealthListener) {}

  /** True while no watched connection is failing. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  /** Errors swallowed while Redis was down, since the process started. */
  get suppressedErrors(): number {
    return this.suppressed;
  }

  /** Watches `redis` and every connection later duplicated from it. */
  watch<T extends RedisClient>(redis: T): T {
    redis.on('error', (error: Error) => this.failed(redis, error));
    redis.on('ready', () => this.recovered(redis));
    // A connection that ended (closed on purpose, or given up) is no longer failing, but its end
    // says nothing about Redis being back: only a ready connection does.
    redis.on('end', () => this.failing.delete(redis));
    // A cluster's duplicate takes other arguments than a server's: pass them through as they are.
    type Duplicate = (...args: unknown[]) => T;
    const duplicate = (redis.duplicate as Duplicate).bind(redis);
    (redis as unknown as { duplicate: Duplicate }).duplicate = (...args) => this.watch(duplicate(...args));
    return redis;
  }

  /**
   * An error a connection's user (a BullMQ worker or queue) re-emitted: a connection failure is
   * already told by the connection's own event, so it is swallowed; anything else is returned to log.
   */
  report(error: Error): Error | undefined {
    if (!isConnectionError(error)) return error;
    this.suppressed++;
    return undefined;
  }

  private failed(redis: RedisClient, error: Error): void {
    this.failing.add(redis);
    if (this.downSince !== undefined) {
      this.suppressed++;
      return;
    }
    this.downSince = Date.now();
    this.listener.down(error.message || (error as { code?: string }).code || String(error));
  }

  private recovered(redis: RedisClient): void {
    this.failing.delete(redis);
    if (this.failing.size > 0 || this.downSince === undefined) return;
    const downFor = Date.now() - this.downSince;
    this.downSince = undefined;
    this.listener.up(downFor);
  }
}
