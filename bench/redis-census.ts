/**
 * Counts every Redis command a process sends (all connections, BullMQ's too), by what it is for,
 * and its round trips (a pipeline or MULTI is one): no MONITOR, no server-side counters shared
 * with other users of the server. Install before any connection sends.
 */
import { Redis } from 'ioredis';
import { scriptNameOf } from '../src/store/scripts.js';

export interface RedisCensus {
  commands: number;
  roundTrips: number;
  byKind: Record<string, number>;
}

export function installRedisCensus(): () => RedisCensus {
  const census: RedisCensus = { commands: 0, roundTrips: 0, byKind: {} };
  const send = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof send>) {
    const command = args[0] as { name: string; args: unknown[] };
    census.commands += 1;
    // A command written with a stream is part of a pipeline, counted once at exec().
    if (args[1] === undefined) census.roundTrips += 1;
    const kind = kindOf(command.name, command.args);
    census.byKind[kind] = (census.byKind[kind] ?? 0) + 1;
    return send.apply(this, args);
  };
  const probe = new Redis({ lazyConnect: true });
  const pipelineProto = Object.getPrototypeOf(probe.pipeline()) as { exec: (...a: unknown[]) => unknown };
  probe.disconnect();
  const exec = pipelineProto.exec;
  pipelineProto.exec = function (this: unknown, ...a: unknown[]) {
    census.roundTrips += 1;
    return exec.apply(this, a);
  };
  return () => census;
}

/** `evalsha:limiter-acquire`, `get:cache`, `bzpopmin:bull`: a Sluice script by name, else the command and the family of its first key. */
function kindOf(name: string, args: unknown[]): string {
  const script = name === 'evalsha' ? scriptNameOf(String(args[0])) : undefined;
  if (script) return `evalsha:${script}`;
  const key = String((name === 'evalsha' || name === 'eval' ? args[2] : args[0]) ?? '');
  const family = key.startsWith('{') ? 'bull'
    : key.includes(':limit:') ? 'limiter'
    : key.includes(':llm:') ? 'cache'
    : key.includes(':run:') ? 'run'
    : key.includes(':progress:') ? 'progress'
    : key.includes(':docs:') ? 'sink'
    : key === '' ? '-' : 'other';
  return `${name}:${family}`;
}
