import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`. */
  url: string;
  ports: number[];
  /** `host:port` of the master serving `key`. */
  nodeOf(key: string): Promise<string>;
  /** `count` names `name(0)`, `name(1)`, ... picked so that each one's `key(name)` lies on a different master. */
  spread(count: number, name: (i: number) => string, key: (name: string) => string): Promise<string[]>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server on `port`: a master that stops answering. */
  freeze(port: number, frozen: boolean): void;
  /** Stops every server by PID and removes their files. */
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster of `masters` masters (no replicas) on free ports, its files in a temporary
 * folder; resolves once every node says cluster_state:ok.
 */
export async function startRedisCluster(masters = 3, timeoutMs = 30_000): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-'));
  const ports: number[] = [];
  const servers: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      servers.map(async (server) => {
        if (server.exitCode !== null || server.signalCode !== null) return;
        const exit = once(server, 'exit');
        server.kill('SIGKILL');
        await exit;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) ports.push(await freePort(ports));
    for (const port of ports) {
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      servers.push(server);
    }
    const deadline = Date.now() + timeoutMs;
    await Promise.all(ports.map((port) => untilTrue(deadline, `redis-server on ${port} to answer`, async () => (await ask(port, ['PING'])) === 'PONG')));
    await runCli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await Promise.all(
      ports.map((port) =>
        untilTrue(deadline, `cluster_state:ok on ${port}`, async () => /cluster_state:ok/.test(String(await ask(port, ['CLUSTER', 'INFO'])))),
      ),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const url = `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
  return {
    url,
    ports,
    nodeOf,
    freeze(port, frozen) {
      const server = servers[ports.indexOf(port)];
      if (!server) throw new Error(`no server of this cluster on port ${port}`);
      server.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
    async spread(count, name, key) {
      const byNode = new Map<string, string>();
      for (let i = 0; byNode.size < count; i++) {
        const node = await nodeOf(key(name(i)));
        if (!byNode.has(node)) byNode.set(node, name(i));
      }
      return [...byNode.values()];
    },
    stop,
  };
  async function nodeOf(key: string): Promise<string> {
    const slot = Number(await ask(ports[0]!, ['CLUSTER', 'KEYSLOT', key]));
    const ranges = (await ask(ports[0]!, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return `${range[2][0]}:${range[2][1]}`;
  }
}

/** One command to one node, on a short-lived connection that gives up at once. */
async function ask(port: number, command: [string, ...string[]]): Promise<unknown> {
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(...command);
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Checks `condition` until it holds; each check is a round trip to the servers, not a timed sleep. */
async function untilTrue(deadline: number, what: string, condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runCli(args: string[]): Promise<void> {
  const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed (${code}):\n${output}`);
}

function freePort(taken: readonly number[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      // A cluster node also listens on port + 10000 (the cluster bus): keep both in range and apart.
      server.close(() => (port > 55_000 || taken.includes(port) ? freePort(taken).then(resolve, reject) : resolve(port)));
    });
  });
}
