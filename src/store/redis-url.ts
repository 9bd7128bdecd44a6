/**
 * Where Sluice's Redis is: one server (`redis://`, `rediss://`, as ioredis reads them) or a Redis
 * Cluster given by some of its nodes (`redis+cluster://[user:password@]host:port,host:port`,
 * `rediss+cluster://` for TLS). The client finds the other nodes from these.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\/(.*)$/;

/** A Redis URL Sluice cannot use; `reason` says what is wrong without repeating the URL. */
export class RedisUrlError extends Error {
  constructor(
    url: string,
    readonly reason: string,
  ) {
    super(`"${redactRedisUrl(url)}" is not a usable Redis URL: ${reason}`);
    this.name = 'RedisUrlError';
  }
}

/** A Redis URL read into a target; a malformed one throws an error naming what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = CLUSTER_SCHEME.exec(url);
  if (!cluster) {
    if (!/^rediss?:\/\/\S*$/.test(url)) {
      throw new RedisUrlError(url, 'expected redis://host:port, rediss://host:port or redis+cluster://host:port,host:port');
    }
    // A comma list names several servers: only a cluster URL can mean that.
    if (/^rediss?:\/\/([^@/]*@)?[^/]*,/.test(url)) {
      throw new RedisUrlError(url, 'it lists several hosts; for a Redis Cluster write redis+cluster://host:port,host:port');
    }
    return { kind: 'single', url };
  }
  const [, scheme, rest] = cluster as unknown as [string, string, string];
  const at = rest.lastIndexOf('@');
  const userInfo = at >= 0 ? rest.slice(0, at) : undefined;
  let hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const slash = hostPart.indexOf('/');
  if (slash >= 0) {
    const path = hostPart.slice(slash);
    // A cluster has only database 0; anything after the hosts would be silently ignored.
    if (path !== '/' && path !== '/0') throw new RedisUrlError(url, `a cluster has no database to choose, drop "${path}"`);
    hostPart = hostPart.slice(0, slash);
  }
  if (hostPart === '') throw new RedisUrlError(url, `it names no node; expected ${scheme}+cluster://host:port,host:port`);
  const nodes = hostPart.split(',').map((node) => parseNode(node, url));
  const target: RedisTarget = { kind: 'cluster', nodes, tls: scheme === 'rediss' };
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const username = decodeURIComponent(colon >= 0 ? userInfo.slice(0, colon) : userInfo);
    const password = colon >= 0 ? decodeURIComponent(userInfo.slice(colon + 1)) : undefined;
    if (username) target.username = username;
    if (password) target.password = password;
  }
  return target;
}

function parseNode(node: string, url: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d+)$/.exec(node);
  if (!match) throw new RedisUrlError(url, `node "${node}" is not host:port`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new RedisUrlError(url, `port ${match[2]} of node "${node}" is out of range`);
  return { host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

/** A Redis URL with its password hidden, for messages. */
export function redactRedisUrl(url: string): string {
  if (CLUSTER_SCHEME.test(url)) {
    const start = url.indexOf('://') + 3;
    const at = url.lastIndexOf('@');
    const colon = url.indexOf(':', start);
    return at > start && colon >= 0 && colon < at ? `${url.slice(0, colon + 1)}***${url.slice(at)}` : url;
  }
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
