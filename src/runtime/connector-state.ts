import type { RedisClient } from '../store/redis.js';
import type { ConnectorState } from '../connector/types.js';
import type { KeyBuilder } from '../store/keys.js';

const DEFAULT_TTL_SECONDS = 30 * 24 * 3600;

/** Per-user connector state (ETags and the like), expiring so abandoned users cost nothing. */
export function createConnectorState(redis: RedisClient, keys: KeyBuilder, connector: string, userId: string): ConnectorState {
  return {
    async get(key) {
      return (await redis.get(keys.connectorState(connector, userId, key))) ?? undefined;
    },
    async set(key, value, ttlSeconds = DEFAULT_TTL_SECONDS) {
      await redis.set(keys.connectorState(connector, userId, key), value, 'EX', ttlSeconds);
    },
  };
}
