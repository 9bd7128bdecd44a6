import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl, RedisUrlError } from '../src/store/redis-url.js';

describe('Redis URLs', () => {
  it('keeps a single-server URL for ioredis to read', () => {
    expect(parseRedisUrl('redis://:secret@127.0.0.1:6380/2')).toEqual({ kind: 'single', url: 'redis://:secret@127.0.0.1:6380/2' });
    expect(parseRedisUrl('rediss://cache.example:6380')).toEqual({ kind: 'single', url: 'rediss://cache.example:6380' });
  });

  it('reads a cluster URL: its nodes, user, password and TLS', () => {
    expect(parseRedisUrl('redis+cluster://127.0.0.1:7000,127.0.0.1:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      tls: false,
    });
    expect(parseRedisUrl('rediss+cluster://app:p%40ss@node-a:7000,[::1]:7001/')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'node-a', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(parseRedisUrl('redis+cluster://:secret@h:7000')).toMatchObject({ password: 'secret', nodes: [{ host: 'h', port: 7000 }] });
  });

  it.each([
    ['localhost:6379', 'expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port'],
    ['http://localhost:6379', 'expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port'],
    ['redis://a:7000,b:7001', 'it lists several hosts; for a Redis Cluster write redis+cluster://host:port,host:port'],
    ['redis+cluster://', 'it names no node; expected redis+cluster://host:port,host:port'],
    ['redis+cluster://a:7000,,b:7001', 'node "" is not host:port'],
    ['redis+cluster://a:7000,b', 'node "b" is not host:port'],
    ['redis+cluster://a:70000', 'port 70000 of node "a:70000" is out of range'],
    ['redis+cluster://a:7000/3', 'a cluster has no database to choose, drop "/3"'],
  ])('refuses %s, saying why', (url, reason) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(reason);
  });

  it('hides the password in messages', () => {
    expect(redactRedisUrl('redis+cluster://app:s3cr3t@a:7000,b:7001')).toBe('redis+cluster://app:***@a:7000,b:7001');
    expect(redactRedisUrl('redis://:s3cr3t@a:7000')).toBe('redis://:***@a:7000');
    expect(() => parseRedisUrl('redis+cluster://app:s3cr3t@a:7000/1')).toThrow(/^"redis\+cluster:\/\/app:\*\*\*@a:7000\/1" is not a usable Redis URL/);
  });
});
