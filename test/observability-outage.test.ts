import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { RedisHealth } from '../src/store/redis-health.js';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sample, scrape } from './support/prometheus.js';
import { startRedisServer, type RedisServer } from './support/redis-server.js';
import { uniquePrefix } from './support/redis.js';
import { startWorkerProcess, stopAllWorkerProcesses } from './support/worker-process.js';

const CONFIG = fileURLToPath(new URL('./fixtures/e2e.config.ts', import.meta.url));

let redis: RedisServer | undefined;
let blackhole: Server | undefined;
afterEach(async () => {
  await stopAllWorkerProcesses();
  await redis?.stop();
  await new Promise<void>((resolve) => (blackhole ? blackhole.close(() => resolve()) : resolve()));
  redis = blackhole = undefined;
});

/**
 * Listens on the stopped Redis's port and drops every connection at once, counting them: proof
 * that the worker kept retrying during the outage, without guessing how long that takes.
 */
async function dropConnections(port: number, wanted: number): Promise<Server> {
  let seen = 0;
  const server = createServer();
  const enough = new Promise<void>((resolve) =>
    server.on('connection', (socket: Socket) => {
      socket.destroy();
      if (++seen === wanted) resolve();
    }),
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  await enough;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return server;
}

describe('logs while Redis is unreachable', () => {
  it('a worker says once that Redis went away and once that it is back, with no stack traces however many reconnects fail', async () => {
    redis = await startRedisServer();
    const env = { SLUICE_TEST_PREFIX: uniquePrefix('outage'), REDIS_URL: redis.url, SLUICE_LOG_LEVEL: 'info' };
    const worker = await startWorkerProcess(CONFIG, env, ['--metrics-port', '0']);
    const metricsUrl = /sluice worker metrics at (\S+)/.exec(worker.output())![1]!;
    const port = redis.port;
    expect(sample(await scrape(metricsUrl), 'sluice_redis_up')).toBe(1);

    await redis.stop('SIGKILL');
    await worker.waitForOutput(/Redis unreachable/);
    // The scrape still answers, says Redis is down and shows no stale queue depths.
    const during = await scrape(metricsUrl);
    expect(sample(during, 'sluice_redis_up')).toBe(0);
    expect(sample(during, 'sluice_queue_jobs')).toBeUndefined();
    // Dozens of failed reconnects from every connection the worker holds (its own, BullMQ's).
    await dropConnections(port, 20);
    redis = await startRedisServer([], port);
    await worker.waitForOutput(/Redis reachable again/);
    // The server came back empty (no persistence): that is state loss, said once as well.
    await worker.waitForOutput(/"code":"state_lost"/);
    expect(sample(await scrape(metricsUrl), 'sluice_redis_up')).toBe(1);

    const output = worker.output();
    if (process.env.SHOW_OUTPUT) console.log(output);
    const lines = output.split('\n').filter(Boolean);
    const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: string; msg: string; reason?: string; downForMs?: number });
    expect(json.filter((line) => line.msg.includes('Redis unreachable'))).toHaveLength(1);
    expect(json.filter((line) => line.msg.includes('Redis reachable again'))).toHaveLength(1);
    expect(json.find((line) => line.msg.includes('Redis unreachable'))).toMatchObject({ level: 'error', reason: expect.stringMatching(/ECONNREFUSED|ECONNRESET|closed/) });
    expect(json.find((line) => line.msg.includes('Redis reachable again'))!.downForMs).toBeGreaterThan(0);
    // Nothing else: no per-retry lines, no "Unhandled error event", no stack traces.
    expect(json.filter((line) => line.msg.startsWith("Redis lost Sluice's state"))).toHaveLength(1);
    expect(json.filter((line) => line.level !== 'info' && !line.msg.includes('Redis unreachable') && !line.msg.startsWith("Redis lost Sluice's state"))).toEqual([]);
    expect(output).not.toMatch(/Unhandled error event/);
    expect(output).not.toMatch(/^\s+at /m);
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([expect.stringMatching(/^sluice worker metrics at/), expect.stringMatching(/^sluice worker ready/)]);
  });
});

describe('RedisHealth', () => {
  /** A stand-in connection: RedisHealth only listens to its events and wraps `duplicate`. */
  const fakeConnection = (): Redis => Object.assign(new EventEmitter(), { duplicate: () => fakeConnection() }) as unknown as Redis;

  it('one down and one up per outage across connections and their duplicates; a connection closed during an outage is not a recovery', () => {
    const told: string[] = [];
    const health = new RedisHealth({ down: (reason) => told.push(`down ${reason}`), up: () => told.push('up') });
    const main = health.watch(fakeConnection());
    const blocking = main.duplicate();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    for (let i = 0; i < 5; i++) {
      main.emit('error', refused);
      blocking.emit('error', refused);
    }
    expect(health.up).toBe(false);
    blocking.emit('end');
    expect(told).toEqual(['down connect ECONNREFUSED 127.0.0.1:6379']);
    main.emit('ready');
    expect(told).toEqual(['down connect ECONNREFUSED 127.0.0.1:6379', 'up']);
    expect(health.suppressedErrors).toBe(9);
    // A BullMQ worker re-emitting a connection error is swallowed; any other error is returned to log.
    expect(health.report(refused)).toBeUndefined();
    expect(health.report(new Error('ERR unknown command'))?.message).toBe('ERR unknown command');
  });
});
