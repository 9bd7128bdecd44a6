import { afterAll, beforeAll } from 'vitest';
import { startRedisCluster, type TestCluster } from './redis-cluster.js';

/** A cluster for the test file: started before its tests, stopped after them. */
export function useRedisCluster(): () => TestCluster {
  let cluster: TestCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error('the test cluster has not started');
    return cluster;
  };
}
