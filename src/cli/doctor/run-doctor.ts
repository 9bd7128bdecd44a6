import { RedisConnection } from 'bullmq';
import type { Redis } from 'ioredis';
import { MIN_SECRET_BYTES } from '../../auth/token.js';
import type { SluiceConfig } from '../../config/define-config.js';
import { findConfig, loadConfig } from '../../config/load-config.js';
import { sharedConnectorsOf } from '../../connector/credentials.js';
import { checkRedis, connectOnce } from '../../store/check-redis.js';
import { DEFAULT_REDIS_URL } from '../../store/redis.js';
import { parseRedisUrl, redactRedisUrl } from '../../store/redis-url.js';
import { checkClock, checkCluster, checkCredentials, checkEviction, checkPersistence, checkSecret, checkVersion, parseInfo, type CheckResult } from './checks.js';

export interface DoctorOptions {
  config?: string;
  redis?: string;
  secret?: string;
}

/** Runs every check against the deployment the options (and the environment) point at. */
export async function runDoctor(options: DoctorOptions, env: NodeJS.ProcessEnv = process.env): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let config: SluiceConfig | undefined;
  try {
    if (options.config !== undefined || findConfig()) {
      const loaded = await loadConfig(options.config);
      config = loaded.config;
      results.push({ name: 'config', status: 'ok', message: `${loaded.file}: ${config.pipelines.length} pipelines` });
    }
  } catch (error) {
    results.push({ name: 'config', status: 'fail', message: error instanceof Error ? error.message : String(error), fix: 'fix the config file (sluice run prints the same error)' });
  }
  const url = options.redis ?? env.REDIS_URL ?? config?.redis ?? DEFAULT_REDIS_URL;
  results.push(...(await redisChecks(url)));
  results.push(
    checkCredentials(
      config && {
        hasProvider: config.credentials !== undefined,
        shared: sharedConnectorsOf(config.credentials),
        connectors: [...new Set(config.pipelines.flatMap((p) => p.sources.map((s) => s.connector)))],
      },
    ),
  );
  results.push(checkSecret(options.secret ?? env.SLUICE_SECRET, MIN_SECRET_BYTES));
  return results;
}

async function redisChecks(url: string): Promise<CheckResult[]> {
  const fix = 'check --redis / REDIS_URL, the password and the network';
  const results: CheckResult[] = [];
  // The startup check first (a cluster's every slot served, no cluster node given as a plain URL);
  // whatever it says, one server is then inspected: a cluster's first seed node stands for the others.
  try {
    await checkRedis(url);
  } catch (error) {
    results.push({ name: 'redis', status: 'fail', message: error instanceof Error ? error.message : String(error), fix });
  }
  let redis: Redis;
  try {
    redis = await connectOnce(inspectedNode(url));
  } catch (error) {
    return results.length ? results : [{ name: 'redis', status: 'fail', message: error instanceof Error ? error.message : String(error), fix }];
  }
  try {
    const info = parseInfo(await redis.info());
    const node = inspectedNode(url) === url ? '' : ` (settings read on ${redis.options.host}:${redis.options.port})`;
    if (results.length === 0) results.push({ name: 'redis', status: 'ok', message: `reachable at ${redactRedisUrl(url)}${node}` });
    results.push(checkVersion(info.get('redis_version'), { minimum: RedisConnection.minimumVersion, recommended: RedisConnection.recommendedMinimumVersion }));
    results.push(checkEviction(info.get('maxmemory_policy') ?? (await configGet(redis, 'maxmemory-policy'))));
    results.push(checkPersistence({ aof: info.get('aof_enabled') === '1', appendfsync: await configGet(redis, 'appendfsync'), save: await configGet(redis, 'save') }));
    const clusterInfo = info.get('cluster_enabled') === '1' ? await redis.cluster('INFO').then((text) => parseInfo(String(text)), () => undefined) : undefined;
    results.push(checkCluster(info, clusterInfo));
    results.push(await clockCheck(redis));
    return results;
  } finally {
    redis.disconnect();
  }
}

/** A CONFIG GET value, or undefined where CONFIG is disabled (managed Redis services often do). */
async function configGet(redis: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', name)) as string[];
    return reply.length >= 2 ? reply[1] : undefined;
  } catch {
    return undefined;
  }
}

/** Redis's TIME against this machine's clock at the middle of the round trip; the best of three. */
async function clockCheck(redis: Redis): Promise<CheckResult> {
  let best: { skew: number; rtt: number } | undefined;
  for (let i = 0; i < 3; i++) {
    const before = Date.now();
    const [seconds, micros] = await redis.time();
    const after = Date.now();
    const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
    const sample = { skew: redisMs - (before + after) / 2, rtt: after - before };
    if (!best || sample.rtt < best.rtt) best = sample;
  }
  return checkClock(best!.skew, best!.rtt);
}

/** The URL itself, or for a cluster its first seed node as a plain URL (same credentials and TLS). */
function inspectedNode(url: string): string {
  const target = parseRedisUrl(url);
  if (target.kind === 'single') return url;
  const node = target.nodes[0]!;
  const auth = target.password === undefined && target.username === undefined ? '' : `${encodeURIComponent(target.username ?? '')}:${encodeURIComponent(target.password ?? '')}@`;
  return `${target.tls ? 'rediss' : 'redis'}://${auth}${node.host}:${node.port}`;
}
