import type { SourceLimiter } from '../connector/types.js';
import type { Limiter } from '../limiter/limiter.js';

/** How long a source call may wait for budget inside a worker before its shard goes back to the queue. */
const MAX_WAIT_IN_WORKER_MS = 2000;

/**
 * A connector's view of the shared limiter: `{userId}` in a key is the reading user, and a key's
 * `tpm` counts the source's quota units (Gmail's per-user units per minute), `rpm` its requests.
 */
export function createSourceLimiter(limiter: Limiter, userId: string): SourceLimiter {
  return {
    async take(key, units = 0) {
      const resolved = key.replaceAll('{userId}', userId);
      const spec = limiter.limits(resolved);
      if (spec.rpm === undefined && spec.tpm === undefined && spec.rpd === undefined && spec.tpd === undefined) return;
      await limiter.acquire(resolved, units, MAX_WAIT_IN_WORKER_MS);
    },
  };
}
