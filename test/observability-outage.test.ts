import { fileURLToPath } from 'node:url';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
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
    const worker = await startWorkerProcess(CONFIG, env);
    const port = redis.port;

    await redis.stop('SIGKILL');
    await worker.waitForOutput(/Redis unreachable/);
    // Dozens of failed reconnects from every connection the worker holds (its own, BullMQ's).
    await dropConnections(port, 20);
    redis = await startRedisServer([], port);
    await worker.waitForOutput(/Redis reachable again/);

    const output = worker.output();
    if (process.env.SHOW_OUTPUT) console.log(output);
    const lines = output.split('\n').filter(Boolean);
    const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { level: string; msg: string; reason?: string; downForMs?: number });
    expect(json.filter((line) => line.msg.includes('Redis unreachable'))).toHaveLength(1);
    expect(json.filter((line) => line.msg.includes('Redis reachable again'))).toHaveLength(1);
    expect(json.find((line) => line.msg.includes('Redis unreachable'))).toMatchObject({ level: 'error', reason: expect.stringMatching(/ECONNREFUSED|ECONNRESET|closed/) });
    expect(json.find((line) => line.msg.includes('Redis reachable again'))!.downForMs).toBeGreaterThan(0);
    // Nothing else: no per-retry lines, no "Unhandled error event", no stack traces.
    expect(json.filter((line) => line.level !== 'info' && !line.msg.includes('Redis unreachable'))).toEqual([]);
    expect(output).not.toMatch(/Unhandled error event/);
    expect(output).not.toMatch(/^\s+at /m);
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual([expect.stringMatching(/^sluice worker ready/)]);
  });
});
