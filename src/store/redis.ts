import { once } from 'node:events';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl, type RedisTarget } from './redis-url.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Sluice's connection: one server or a Redis Cluster (every key it touches is hash-tagged for one). */
export type RedisClient = Redis | Cluster;

export const isCluster = (client: RedisClient): client is Cluster => client.isCluster;

/**
 * Every connection Sluice makes comes from here. BullMQ workers need `maxRetriesPerRequest: null`
 * so a blocked command survives a reconnect; `options` adds to the per-server options.
 */
export function createRedis(url: string, options: RedisOptions = {}): RedisClient {
  return connect(parseRedisUrl(url), { maxRetriesPerRequest: null, ...options });
}

function connect(target: RedisTarget, options: RedisOptions): RedisClient {
  if (target.kind === 'single') return new Redis(target.url, options);
  return newCluster(
    target,
    // `lazyConnect` is the cluster's own option; the per-node clients connect when the cluster does.
    { lazyConnect: options.lazyConnect ?? false, enableOfflineQueue: options.enableOfflineQueue ?? true },
    { ...options, lazyConnect: false },
  );
}

/** A Cluster client for a cluster URL's nodes, with its user, password and TLS on every node. */
export function newCluster(target: Extract<RedisTarget, { kind: 'cluster' }>, options: ClusterOptions, redisOptions: RedisOptions): Cluster {
  return new Cluster(target.nodes, {
    ...options,
    // With TLS, connect by the names the cluster gives, so certificates for those names match.
    ...(target.tls ? { dnsLookup: (address: string, callback: (error: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: {
      ...redisOptions,
      ...(target.username ? { username: target.username } : {}),
      ...(target.password ? { password: target.password } : {}),
      ...(target.tls ? { tls: {} } : {}),
    },
  });
}

/**
 * A second connection to the same Redis (for blocking reads or subscriptions), optionally named;
 * `autoPipelining` sends whatever is asked in one event-loop turn as one pipeline.
 */
export function duplicateRedis<T extends RedisClient>(client: T, connectionName?: string, autoPipelining = false): T {
  const name = connectionName === undefined ? {} : { connectionName };
  const pipelining = autoPipelining ? { enableAutoPipelining: true } : {};
  if (isCluster(client)) return client.duplicate(undefined, { ...pipelining, redisOptions: { ...client.options.redisOptions, ...name } }) as T;
  return (client as Redis).duplicate({ ...name, ...pipelining }) as T;
}

/** The servers holding the data: the master nodes of a cluster, or the one server. */
export function dataNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * True while Redis answers PING within `timeoutMs` (every master, on a cluster): for readiness checks.
 * While Redis is away the connection queues commands: answer after the timeout rather than wait on
 * that queue (a load balancer's check must not hang).
 */
export async function answersPing(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'end') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  const stop = new AbortController();
  try {
    const everyNode = async () => {
      // A cluster knows its masters once it has the slot map: wait for that within the timeout.
      if (isCluster(client) && client.status !== 'ready') await once(client, 'ready', { signal: stop.signal });
      const nodes = dataNodes(client);
      if (nodes.length === 0) return false;
      const replies = await Promise.all(nodes.map((node) => node.ping()));
      return replies.every((reply) => reply === 'PONG');
    };
    return await Promise.race([everyNode(), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
}

/** Keys matching `pattern`, in batches: on a cluster each master is scanned (SCAN sees one node). */
export async function* scanKeys(client: RedisClient, pattern: string): AsyncIterable<string[]> {
  for (const node of dataNodes(client)) {
    yield* node.scanStream({ match: pattern, count: 1000 }) as AsyncIterable<string[]>;
  }
}

/** Deletes keys in batches; on a cluster one command may not span slots, so each key goes alone (pipelined). */
export async function unlinkKeys(client: RedisClient, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 500) {
    const batch = keys.slice(i, i + 500);
    if (isCluster(client)) await Promise.all(batch.map((key) => client.unlink(key)));
    else await client.unlink(...batch);
  }
}
