/**
 * The checks of `sluice doctor`, as pure functions of what was read from Redis and the config, so
 * each verdict and its fix is testable on its own.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warn or a fail. */
  fix?: string;
}

/** `INFO` as a map of field -> value (sections merged). */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/** -1, 0 or 1 as version `a` is lower than, equal to or higher than `b` (dotted numbers). */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export function checkVersion(version: string | undefined, required: { minimum: string; recommended: string }): CheckResult {
  const name = 'redis version';
  if (!version) return { name, status: 'warn', message: 'INFO does not say the server version', fix: `use Redis ${required.recommended} or later` };
  const needs = `BullMQ needs ${required.minimum} or later and recommends ${required.recommended}`;
  if (compareVersions(version, required.minimum) < 0) return { name, status: 'fail', message: `${version}: ${needs}`, fix: `upgrade Redis to ${required.recommended} or later` };
  if (compareVersions(version, required.recommended) < 0) return { name, status: 'warn', message: `${version}: ${needs}`, fix: `upgrade Redis to ${required.recommended} or later` };
  return { name, status: 'ok', message: `${version} (${needs})` };
}

export function checkEviction(policy: string | undefined): CheckResult {
  const name = 'maxmemory-policy';
  if (policy === 'noeviction') return { name, status: 'ok', message: 'noeviction: Redis refuses writes when full instead of dropping keys' };
  return {
    name,
    status: 'fail',
    message: `${policy ?? 'unknown'}: when memory runs short Redis deletes keys, and with them queued jobs, run state and progress (BullMQ needs noeviction)`,
    fix: 'CONFIG SET maxmemory-policy noeviction, and maxmemory-policy noeviction in redis.conf (or your provider\'s parameter group)',
  };
}

export interface Persistence {
  aof: boolean;
  /** `appendfsync`, when CONFIG GET is allowed. */
  appendfsync?: string;
  /** `save` (RDB snapshot rules), when CONFIG GET is allowed; '' means none. */
  save?: string;
}

export function checkPersistence({ aof, appendfsync, save }: Persistence): CheckResult {
  const name = 'persistence';
  const snapshots = save !== undefined && save.trim() !== '';
  if (aof && appendfsync === 'always') return { name, status: 'ok', message: 'AOF with appendfsync always: a write Redis acknowledged survives a crash' };
  if (aof) {
    const window = appendfsync === 'no' ? 'about 30 s (the OS decides when to flush)' : appendfsync === 'everysec' ? 'up to about 1 s' : 'the writes not yet flushed';
    return {
      name,
      status: 'warn',
      message:
        `AOF with appendfsync ${appendfsync ?? '(unreadable)'}: a crash of Redis or its machine loses ${window} of writes Redis already acknowledged ` +
        '(a finished shard, an enqueued job): a run may then wait on a shard that no job will run',
      fix: 'appendfsync always (every write waits for the disk), or keep everysec and watch for runs without progress',
    };
  }
  if (snapshots) {
    return {
      name,
      status: 'warn',
      message: `RDB snapshots only (save ${save}): a crash loses every write since the last snapshot, runs in flight included`,
      fix: 'CONFIG SET appendonly yes and appendfsync everysec or always (and the same in redis.conf)',
    };
  }
  return {
    name,
    status: save === undefined ? 'warn' : 'fail',
    message: save === undefined ? 'AOF is off and the snapshot rules cannot be read (CONFIG is disabled)' : 'no AOF and no snapshots: a Redis restart loses every run, schedule and queued job',
    fix: 'CONFIG SET appendonly yes and appendfsync everysec or always (and the same in redis.conf)',
  };
}

export function checkCluster(info: Map<string, string>, clusterInfo?: Map<string, string>): CheckResult {
  const name = 'cluster';
  if (info.get('cluster_enabled') !== '1') return { name, status: 'ok', message: 'standalone Redis (not a cluster)' };
  if (!clusterInfo) return { name, status: 'warn', message: 'cluster mode is on but CLUSTER INFO could not be read', fix: 'allow CLUSTER INFO for this user' };
  const state = clusterInfo.get('cluster_state');
  const masters = Number(clusterInfo.get('cluster_size') ?? 0);
  const nodes = Number(clusterInfo.get('cluster_known_nodes') ?? 0);
  const summary = `state ${state ?? 'unknown'}, ${masters} masters, ${nodes} nodes, ${clusterInfo.get('cluster_slots_assigned') ?? '?'} of 16384 slots assigned`;
  if (state !== 'ok') return { name, status: 'fail', message: summary, fix: 'redis-cli --cluster check <host:port>, then fix the failing nodes or unassigned slots' };
  if (masters < 3) return { name, status: 'warn', message: `${summary}: fewer than 3 masters cannot elect a replacement for a failed one`, fix: 'run at least 3 masters, each with a replica' };
  return { name, status: 'ok', message: summary };
}

/** `skewMs` is Redis's clock minus this machine's, `rttMs` the round trip the estimate is within. */
export function checkClock(skewMs: number, rttMs: number): CheckResult {
  const name = 'clock skew';
  const ms = Math.abs(Math.round(skewMs));
  const message = `${ms === 0 ? 'this machine is in step with Redis' : `this machine is ${ms} ms ${skewMs > 0 ? 'behind' : 'ahead of'} Redis`} (±${Math.ceil(rttMs / 2)} ms)`;
  const why = 'schedules, run deadlines, waits and ETAs compare clocks across machines';
  const fix = 'run NTP (chrony or systemd-timesyncd) on every worker and on the Redis host';
  if (Math.abs(skewMs) > 2000) return { name, status: 'fail', message: `${message}: ${why}`, fix };
  if (Math.abs(skewMs) > 250) return { name, status: 'warn', message: `${message}: ${why}`, fix };
  return { name, status: 'ok', message };
}

export function checkCredentials(config: { hasProvider: boolean; shared: readonly string[]; connectors: readonly string[] } | undefined): CheckResult {
  const name = 'credentials';
  if (!config) return { name, status: 'warn', message: 'no config loaded: the credentials provider was not checked', fix: 'run sluice doctor where sluice.config.ts is, or pass --config' };
  const used = config.connectors.length ? ` (sources: ${config.connectors.join(', ')})` : '';
  if (!config.hasProvider) {
    return {
      name,
      status: 'warn',
      message: `no credentials provider in the config${used}: every read that needs a token fails as not authorised`,
      fix: 'set credentials: async ({ userId, connector }) => ({ token }) in sluice.config.ts',
    };
  }
  if (config.shared.length > 0) {
    return {
      name,
      status: 'warn',
      message: `credentials: shared(...) reads ${config.shared.join(', ')} with one token for every user: whoever can start a run reaches what it reaches`,
      fix: "use a provider that returns each user's own token",
    };
  }
  return { name, status: 'ok', message: `a credentials provider is configured${used}` };
}

/** Shannon entropy of the secret's characters times its length: a rough upper bound of its strength in bits. */
export function estimateBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const ch of secret) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / length) * Math.log2(n / length);
  return perChar * length;
}

const WEAK_WORDS = /secret|password|changeme|example|sluice|default|test|1234|qwerty|letmein/i;

export function checkSecret(secret: string | undefined, minBytes: number): CheckResult {
  const name = 'token secret';
  const fix = 'SLUICE_SECRET=$(openssl rand -hex 32), the same on every sluice serve instance';
  if (!secret) return { name, status: 'warn', message: 'SLUICE_SECRET is not set here: sluice serve and sluice token need it', fix };
  const bytes = Buffer.byteLength(secret);
  if (bytes < minBytes) return { name, status: 'fail', message: `${bytes} bytes: progress tokens need a secret of at least ${minBytes}`, fix };
  const bits = Math.round(estimateBits(secret));
  if (bits < 64) return { name, status: 'fail', message: `about ${bits} bits of randomness: anyone could guess it and sign tokens for any user`, fix };
  if (bits < 128 || WEAK_WORDS.test(secret)) {
    return { name, status: 'warn', message: `about ${bits} bits${WEAK_WORDS.test(secret) ? ', and it contains a common word' : ''}: it looks chosen rather than random`, fix };
  }
  return { name, status: 'ok', message: `${bytes} bytes, about ${bits} bits of randomness` };
}

/** One line per check: status, name, what was found and, for a warn or a fail, the fix. */
export function formatResult(result: CheckResult): string {
  return `${result.status.padEnd(4)}  ${result.name}: ${result.message}${result.fix && result.status !== 'ok' ? ` -> fix: ${result.fix}` : ''}`;
}
