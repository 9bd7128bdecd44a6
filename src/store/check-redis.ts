import { Cluster, Redis } from 'ioredis';
import { isCluster, newCluster } from './redis.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

/**
 * Connects once and checks Redis answers, giving up after `timeoutMs`: a wrong host, port or
 * password is reported at once in one line, instead of a client retrying forever with a stack trace
 * per attempt. A cluster must have every slot served; a cluster node given as a plain URL is refused
 * (its commands would be answered MOVED for most keys).
 */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const target = parseRedisUrl(url);
  const client =
    target.kind === 'single'
      ? new Redis(target.url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
      : newCluster(
          target,
          { lazyConnect: true, enableOfflineQueue: false, clusterRetryStrategy: () => null, slotsRefreshTimeout: timeoutMs },
          { connectTimeout: timeoutMs, maxRetriesPerRequest: 0 },
        );
  // Errors are reported by the rejected calls below; without a listener ioredis prints them too.
  let lastError: Error | undefined;
  client.on('error', (error: Error) => (lastError = error));
  // A cluster's own error ("Failed to refresh slots cache") hides the cause a node gave; a node's
  // first error (ECONNREFUSED) says more than the "Connection is closed" of the command it cut.
  let nodeError: Error | undefined;
  client.on('node error', (error: Error, node: string) => {
    // What a cut connection says about a node that never answered.
    const text = /^Connection is closed/.test(error.message) ? 'connection refused or closed' : error.message;
    nodeError ??= new Error(`${node}: ${text}`);
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  let problem: string | undefined;
  try {
    problem = await Promise.race([
      (async () => {
        await client.connect();
        return isCluster(client) ? clusterProblem(client) : singleProblem(client);
      })(),
      deadline,
    ]);
  } catch (error) {
    // "Connection is closed" hides the cause (ECONNREFUSED, WRONGPASS): the client's own error says it.
    const reason = (nodeError ?? lastError)?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot use Redis at ${redactRedisUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
  if (problem) throw new Error(`cannot use Redis at ${redactRedisUrl(url)}: ${problem}`);
}

async function singleProblem(redis: Redis): Promise<string | undefined> {
  await redis.ping();
  // A server that refuses INFO (some managed offerings) is taken as it is.
  const info = await redis.info('cluster').catch(() => '');
  if (/cluster_enabled:1/.test(info)) return 'it is a Redis Cluster node; give the cluster as redis+cluster://host:port,host:port';
  return undefined;
}

async function clusterProblem(cluster: Cluster): Promise<string | undefined> {
  for (const node of cluster.nodes('master')) {
    const info = await node.cluster('INFO');
    const state = /cluster_state:(\w+)/.exec(info)?.[1];
    if (state !== 'ok') return `cluster_state is ${state ?? 'unknown'} on ${node.options.host}:${node.options.port}`;
  }
  return undefined;
}

/**
 * A connection to one server that answered PING within `timeoutMs`, and never reconnects: for
 * one-shot inspection (`sluice doctor`). Throws `cannot use Redis at <url>: <reason>` otherwise.
 */
export async function connectOnce(url: string, timeoutMs = 3000): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), deadline]);
    return redis;
  } catch (error) {
    redis.disconnect();
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot use Redis at ${redactRedisUrl(url)}: ${reason}`);
  } finally {
    clearTimeout(timer);
  }
}
