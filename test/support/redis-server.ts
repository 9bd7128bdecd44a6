import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A redis-server of the test's own; without persistence (the default) restarting it loses everything. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** The running process (a new one after `restartEmpty`). */
  readonly child: ChildProcess;
  /** Stops this redis-server by its PID and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it (SIGKILL, by PID) and starts a new one on the same port, empty unless `args` persist. */
  restartEmpty(): Promise<void>;
}
export type RedisServerProcess = RedisServer;

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function spawnRedis(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready:\n${output}`)));
  });
  return child;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  process.kill(child.pid!, signal);
  await exited;
}

/**
 * Starts a redis-server of the test's own (no persistence unless `args` ask for it) and resolves once
 * it accepts connections. `port` reuses a port, to bring a stopped server back.
 */
export async function startRedisServer(args: string[] = [], port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  let child = await spawnRedis(chosen, args);
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    get child() {
      return child;
    },
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
    async restartEmpty() {
      await stopChild(child, 'SIGKILL');
      child = await spawnRedis(chosen, args);
    },
  };
}
