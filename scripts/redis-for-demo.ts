import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface DemoRedis {
  url: string;
  /** Stops the server if this script started it. */
  stop(): Promise<void>;
  started: boolean;
}

/** Uses REDIS_URL or a local Redis; else starts `redis-server` on a free port; else explains how to get one. */
export async function redisForDemo(): Promise<DemoRedis> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await reachable(url)) return { url, started: false, stop: async () => {} };
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      `No Redis at ${url} and no redis-server on PATH.\n` +
        '  Install one (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis),\n' +
        '  or point REDIS_URL at a running Redis, then run the demo again.',
    );
  }
  const port = await freePort();
  const server: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const local = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await reachable(local)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable(local))) throw new Error(`redis-server did not start on port ${port}`);
  return {
    url: local,
    started: true,
    stop: async () => {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    },
  };
}

async function reachable(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
