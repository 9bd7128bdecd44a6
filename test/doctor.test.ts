import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { checkClock, checkCluster, checkPersistence, checkSecret, checkVersion, compareVersions, parseInfo } from '../src/cli/doctor/checks.js';
import { freePort, startRedisServer, type RedisServer } from './support/redis-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GOOD_CONFIG = 'test/fixtures/config/doctor.config.ts';

let redis: RedisServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  redis = dir = undefined;
});

/** Runs `sluice doctor` in its own process: exit code and stdout lines. */
function doctor(args: string[], env: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'doctor', ...args], { cwd: ROOT, env: { ...process.env, SLUICE_SECRET: '', REDIS_URL: '', ...env } }, (error, stdout) => {
      resolve({ code: error ? Number(error.code) : 0, lines: stdout.trim().split('\n') });
    });
  });
}

const line = (lines: string[], name: string) => lines.find((l) => l.slice(6).startsWith(`${name}:`));

describe('sluice doctor against real Redis servers', () => {
  it('a Redis that evicts and persists nothing, and a guessable secret: fail lines that say what to fix, and exit 1', async () => {
    redis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    const { code, lines } = await doctor(['--config', GOOD_CONFIG, '--redis', redis.url], { SLUICE_SECRET: 'a'.repeat(40) });
    expect(code).toBe(1);
    expect(line(lines, 'maxmemory-policy')).toMatch(/^fail {2}maxmemory-policy: allkeys-lru: .*BullMQ needs noeviction.* -> fix: CONFIG SET maxmemory-policy noeviction/);
    expect(line(lines, 'persistence')).toMatch(/^fail {2}persistence: no AOF and no snapshots.* -> fix: CONFIG SET appendonly yes/);
    expect(line(lines, 'token secret')).toMatch(/^fail {2}token secret: about 0 bits .* -> fix: SLUICE_SECRET=\$\(openssl rand -hex 32\)/);
    expect(line(lines, 'redis version')).toMatch(/^ok {4}redis version: \d+\.\d+\.\d+ \(BullMQ needs 5\.0\.0 or later and recommends 6\.2\.0\)$/);
    expect(lines.at(-1)).toMatch(/^sluice doctor: \d+ ok, \d+ warn, 3 fail$/);
  });

  it('a Redis set up for Sluice (noeviction, AOF fsync always), a credentials provider and a random secret: every check ok, exit 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-doctor-'));
    redis = await startRedisServer(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
    const { code, lines } = await doctor(['--config', GOOD_CONFIG, '--redis', redis.url], { SLUICE_SECRET: randomBytes(32).toString('hex') });
    expect(lines.filter((l) => !l.startsWith('ok '))).toEqual(['sluice doctor: 9 ok, 0 warn, 0 fail']);
    expect(code).toBe(0);
    expect(line(lines, 'persistence')).toBe('ok    persistence: AOF with appendfsync always: a write Redis acknowledged survives a crash');
    expect(line(lines, 'cluster')).toBe('ok    cluster: standalone Redis (not a cluster)');
    expect(line(lines, 'credentials')).toBe('ok    credentials: a credentials provider is configured (sources: files)');
  });

  it('a cluster node: fail while its slots are unassigned, warn once it serves every slot alone (one master)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-doctor-cluster-'));
    redis = await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--dir', dir]);
    const env = { SLUICE_SECRET: randomBytes(32).toString('hex') };
    // Given as a plain URL, a cluster node is refused (its commands would be answered MOVED).
    const plain = await doctor(['--config', GOOD_CONFIG, '--redis', redis.url], env);
    expect(line(plain.lines, 'redis')).toMatch(/^fail {2}redis: cannot use Redis at .*: it is a Redis Cluster node; give the cluster as redis\+cluster:\/\/host:port,host:port/);
    const clusterUrl = redis.url.replace(/^redis:/, 'redis+cluster:');
    const before = await doctor(['--config', GOOD_CONFIG, '--redis', clusterUrl], env);
    expect(before.code).toBe(1);
    expect(line(before.lines, 'redis')).toMatch(/^fail {2}redis: cannot use Redis at .*: /);
    expect(line(before.lines, 'cluster')).toMatch(/^fail {2}cluster: state fail, \d+ masters, 1 nodes, 0 of 16384 slots assigned -> fix: redis-cli --cluster check/);

    const admin = new Redis(redis.url);
    try {
      await admin.cluster('ADDSLOTSRANGE', 0, 16383);
      // The node turns its state to ok on its own cron (every 100 ms): poll that condition, bounded.
      const deadline = Date.now() + 20_000;
      while (!/cluster_state:ok/.test(String(await admin.cluster('INFO')))) {
        if (Date.now() > deadline) throw new Error('the cluster node did not reach state ok');
        await delay(50);
      }
    } finally {
      admin.disconnect();
    }
    const after = await doctor(['--config', GOOD_CONFIG, '--redis', clusterUrl], env);
    expect(line(after.lines, 'cluster')).toBe('warn  cluster: state ok, 1 masters, 1 nodes, 16384 of 16384 slots assigned: fewer than 3 masters cannot elect a replacement for a failed one -> fix: run at least 3 masters, each with a replica');
  });

  it('an unreachable Redis is one fail line naming it, and exit 1', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const { code, lines } = await doctor(['--config', GOOD_CONFIG, '--redis', url], {});
    expect(code).toBe(1);
    expect(line(lines, 'redis')).toMatch(new RegExp(`^fail {2}redis: cannot use Redis at ${url}/?: .*ECONNREFUSED.* -> fix: check --redis / REDIS_URL`));
    expect(line(lines, 'token secret')).toMatch(/^warn {2}token secret: SLUICE_SECRET is not set/);
  });
});

describe('doctor checks', () => {
  it('reads INFO and compares versions as numbers', () => {
    expect(parseInfo('# Server\r\nredis_version:7.2.4\r\ncluster_enabled:0\r\n').get('redis_version')).toBe('7.2.4');
    expect(compareVersions('6.10.0', '6.2.0')).toBe(1);
    expect(checkVersion('6.0.9', { minimum: '5.0.0', recommended: '6.2.0' }).status).toBe('warn');
    expect(checkVersion('4.0.14', { minimum: '5.0.0', recommended: '6.2.0' }).status).toBe('fail');
  });

  it('says what each appendfsync setting can lose', () => {
    expect(checkPersistence({ aof: true, appendfsync: 'everysec', save: '' })).toMatchObject({ status: 'warn', message: expect.stringContaining('up to about 1 s of writes Redis already acknowledged') });
    expect(checkPersistence({ aof: true, appendfsync: 'no', save: '' }).message).toContain('about 30 s');
    expect(checkPersistence({ aof: false, save: '3600 1' })).toMatchObject({ status: 'warn', message: expect.stringContaining('RDB snapshots only') });
    expect(checkPersistence({ aof: false }).status).toBe('warn');
  });

  it('judges a cluster by its state and its number of masters', () => {
    const on = parseInfo('cluster_enabled:1');
    expect(checkCluster(on, parseInfo('cluster_state:ok\ncluster_size:3\ncluster_known_nodes:6\ncluster_slots_assigned:16384')).status).toBe('ok');
    expect(checkCluster(on, parseInfo('cluster_state:ok\ncluster_size:1\ncluster_known_nodes:1\ncluster_slots_assigned:16384')).status).toBe('warn');
    expect(checkCluster(on, parseInfo('cluster_state:fail\ncluster_size:3\ncluster_known_nodes:6\ncluster_slots_assigned:10000')).status).toBe('fail');
  });

  it('warns past 250 ms of clock skew and fails past 2 s', () => {
    expect(checkClock(40, 2).status).toBe('ok');
    expect(checkClock(-900, 2)).toMatchObject({ status: 'warn', message: expect.stringMatching(/^this machine is 900 ms ahead of Redis/) });
    expect(checkClock(5000, 2).status).toBe('fail');
  });

  it('rates secrets: too short or guessable fails, a chosen phrase warns, random bytes pass', () => {
    expect(checkSecret('short', 32).status).toBe('fail');
    expect(checkSecret('ab'.repeat(20), 32).status).toBe('fail');
    expect(checkSecret('my-super-secret-password-1234567', 32).status).toBe('warn');
    expect(checkSecret(randomBytes(32).toString('hex'), 32).status).toBe('ok');
    expect(checkSecret(randomBytes(32).toString('base64url'), 32).status).toBe('ok');
  });
});
