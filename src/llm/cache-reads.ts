import { isCluster, type RedisClient } from '../store/redis.js';

/**
 * Reads cache entries asked for in one event-loop turn with one MGET: a batch's calls start
 * together, so a batch's (or a retried batch's) cache lookups cost one Redis command, not one each.
 */
export function batchedGet(redis: RedisClient): (key: string) => Promise<string | null> {
  // Cache keys spread over a cluster's slots and one MGET must stay in one: a GET each there (an
  // auto-pipelined cluster connection still sends them to each node together).
  if (isCluster(redis)) return (key) => redis.get(key);
  let pending: { key: string; resolve: (value: string | null) => void; reject: (error: unknown) => void }[] = [];
  const flush = () => {
    const asked = pending;
    pending = [];
    redis.mget(...asked.map((a) => a.key)).then(
      (values) => asked.forEach((a, i) => a.resolve(values[i] ?? null)),
      (error: unknown) => asked.forEach((a) => a.reject(error)),
    );
  };
  return (key) =>
    new Promise((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush);
      pending.push({ key, resolve, reject });
    });
}
