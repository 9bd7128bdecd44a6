import { Redis } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** BullMQ workers need `maxRetriesPerRequest: null` so a blocked command survives a reconnect. */
export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** A Redis URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Connects once and PINGs, giving up after `timeoutMs`: a wrong host, port or password is reported
 * at once in one line, instead of a client retrying forever with a stack trace per attempt.
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  (await connectOnce(url, timeoutMs)).disconnect();
}

/**
 * A connection that answered PING within `timeoutMs`, and never reconnects: for one-shot checks.
 * Throws `cannot use Redis at <url>: <reason>` otherwise.
 */
export async function connectOnce(url: string, timeoutMs = 3000): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Errors are reported by the rejected connect/ping below; without a listener ioredis prints them too.
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await redis.connect();
        await redis.ping();
      })(),
      deadline,
    ]);
    return redis;
  } catch (error) {
    redis.disconnect();
    // "Connection is closed" hides the cause (ECONNREFUSED, WRONGPASS): the client's own error says it.
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot use Redis at ${redactRedisUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}
