/**
 * Chaos benchmark: 4 worker processes, one big run for one user and many users' small runs, and a
 * `kill -9` of a random worker every 5 s (a new worker process replaces it at once, so 4 stay up).
 *
 *   npm run bench:chaos
 *   CHAOS_BIG=200000 CHAOS_USERS=50 CHAOS_SMALL=2000 npm run bench:chaos     the issue's scale
 *   CHAOS_CLUSTER=1 npm run bench:chaos     the same against a 3-master Redis Cluster it starts
 *
 * With CHAOS_CLUSTER=1 the Redis is a real 3-master cluster on free ports (redis-server
 * --cluster-enabled, stopped at the end) reached through a `redis+cluster://` URL, else REDIS_URL.
 *
 * Prints records lost (expected minus documents in the sinks), written twice (sink writes past one
 * per document, from the runs' `written`), runs completed, seconds without progress (1-s windows in
 * which no record was counted), and per kill the recovery time: from the kill until every job the
 * killed worker held (jobs active at the kill whose lock then lapsed) was taken again by another
 * worker or was done. Run durations include the replacement workers' start-up under load.
 * Every worker's log (stderr) is scanned for cluster errors (MOVED, CROSSSLOT, "All keys in the
 * pipeline"): their count is printed, and the first few lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createRedis } from '../src/store/redis.js';
import { createSluice, loadConfig } from '../src/runtime/index.js';
import type { RunSnapshot } from '../src/index.js';
import { startRedisCluster } from '../test/support/redis-cluster.js';
import { deletePrefixAt, intEnv, printTable, seconds } from './support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CONFIG = fileURLToPath(new URL('./chaos.config.ts', import.meta.url));
const CLUSTER = process.env.CHAOS_CLUSTER === '1';
if (process.env.CHAOS_CLUSTER && !['0', '1'].includes(process.env.CHAOS_CLUSTER)) throw new Error(`CHAOS_CLUSTER must be 0 or 1, got "${process.env.CHAOS_CLUSTER}"`);
const cluster = CLUSTER ? await startRedisCluster() : undefined;
const REDIS_URL = cluster?.url ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 4;
const BIG = intEnv('CHAOS_BIG', 50_000);
const USERS = intEnv('CHAOS_USERS', 25);
const SMALL = intEnv('CHAOS_SMALL', 2_000);
const KILL_EVERY_MS = intEnv('CHAOS_KILL_EVERY_MS', 5_000);
const STEP_MS = intEnv('CHAOS_STEP_MS', 500);
const BATCH = intEnv('CHAOS_BATCH', 25);
for (const name of ['CHAOS_LOCK_MS', 'CHAOS_STALL_MS']) if (process.env[name]) intEnv(name, 0);
const prefix = `bench-chaos-${process.pid}`;
const env = { CHAOS_PREFIX: prefix, CHAOS_BIG: String(BIG), CHAOS_SMALL: String(SMALL), CHAOS_STEP_MS: String(STEP_MS), CHAOS_BATCH: String(BATCH), REDIS_URL };
const timings = process.env.CHAOS_LOCK_MS ? `, lock ${process.env.CHAOS_LOCK_MS} ms, stall check ${process.env.CHAOS_STALL_MS ?? 'default'} ms` : ', default lock settings';
Object.assign(process.env, env);

const sluice = createSluice((await loadConfig(CONFIG)).config);
const redis = createRedis(REDIS_URL);
const jobKey = (id: string) => `{${prefix}}:default:${id}`;
const workers = new Set<ChildProcess>();
/** Worker log lines that say a command went to the wrong cluster node or spanned slots. */
const CLUSTER_ERROR = /MOVED|CROSSSLOT|All keys in the pipeline/;
const clusterErrors: string[] = [];
let clusterErrorCount = 0;

/** Passes a worker's log through, noting the lines with cluster errors. */
function watchLog(child: ChildProcess): void {
  let rest = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    process.stderr.write(chunk);
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (!CLUSTER_ERROR.test(line)) continue;
      clusterErrorCount++;
      if (clusterErrors.length < 5) clusterErrors.push(line.slice(0, 300));
    }
  });
}

/** `sluice worker` in a process of its own; resolves once it takes jobs. */
async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/bin.ts', 'worker', '--config', CONFIG], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.add(child);
  watchLog(child);
  child.once('exit', () => workers.delete(child));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('sluice worker ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`a worker exited (${code}) before it was ready`)));
  });
  return child;
}

/**
 * From the kill until every job the victim held was taken again or done. The victim's jobs are
 * those active at the kill that later sit in the active list without a lock; a job the survivors
 * held finishes (its hash goes) without ever losing its lock.
 */
async function recovery(killedAt: number, activeAtKill: string[]): Promise<number | undefined> {
  const open = new Set(activeAtKill);
  const orphaned = new Set<string>();
  let recoveredAt: number | undefined;
  while (open.size > 0 && Date.now() - killedAt < 60_000) {
    const active = new Set(await redis.lrange(`{${prefix}}:default:active`, 0, -1));
    for (const id of [...open]) {
      const [lock, processedOn, exists] = await Promise.all([redis.exists(`${jobKey(id)}:lock`), redis.hget(jobKey(id), 'processedOn'), redis.exists(jobKey(id))]);
      const takenAgain = lock === 1 && Number(processedOn) > killedAt;
      if ((active.has(id) && lock === 0) || takenAgain) orphaned.add(id);
      if (orphaned.has(id) && (takenAgain || exists === 0)) {
        open.delete(id);
        recoveredAt = Date.now();
      } else if (!orphaned.has(id) && exists === 0) open.delete(id); // a survivor's job, done
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return orphaned.size === 0 ? 0 : open.size === 0 ? recoveredAt! - killedAt : undefined;
}

if (!cluster) await deletePrefixAt(REDIS_URL, prefix);
console.log(
  `chaos${cluster ? ' on a 3-master Redis Cluster' : ''}: ${WORKERS} workers, 1 run of ${BIG.toLocaleString('en-US')} records + ${USERS} users x ${SMALL.toLocaleString('en-US')} ` +
    `(${BATCH} per batch, ${STEP_MS} ms per record), kill -9 every ${KILL_EVERY_MS / 1000} s${timings}`,
);
try {
  await Promise.all(Array.from({ length: WORKERS }, () => startWorker()));

  const users = ['big-user', ...Array.from({ length: USERS }, (_, i) => `user-${i + 1}`)];
  const runIds = new Map<string, string>();
  const started = Date.now();
  runIds.set('big-user', (await sluice.startRun('big', { userId: 'big-user' })).runId);
  for (const user of users.slice(1)) runIds.set(user, (await sluice.startRun('small', { userId: user })).runId);

  async function snapshots(): Promise<RunSnapshot[]> {
    const all = await Promise.all(users.map(async (user) => (await sluice.status(user)).find((r) => r.runId === runIds.get(user))));
    return all.filter((r): r is RunSnapshot => r !== undefined);
  }
  const counted = (runs: RunSnapshot[]) => runs.reduce((n, r) => n + r.counts.processed + r.counts.skipped + r.counts.failed, 0);

  const recoveries: Promise<number | undefined>[] = [];
  let kills = 0;
  let stalledSeconds = 0;
  let lastCount = 0;
  let lastProgressAt = Date.now();
  let runs: RunSnapshot[] = [];
  let nextKill = Date.now() + KILL_EVERY_MS;
  let nextSecond = Date.now() + 1000;
  while ((runs = await snapshots()).filter((r) => r.status !== 'running').length < users.length) {
    const now = Date.now();
    const count = counted(runs);
    if (count > lastCount) lastProgressAt = now;
    lastCount = count;
    if (now >= nextSecond) {
      if (now - lastProgressAt >= 1000) stalledSeconds++;
      nextSecond += 1000;
    }
    if (now >= nextKill && workers.size > 0) {
      nextKill += KILL_EVERY_MS;
      const victim = [...workers][Math.floor(Math.random() * workers.size)]!;
      const active = await redis.lrange(`{${prefix}}:default:active`, 0, -1);
      const killedAt = Date.now();
      victim.kill('SIGKILL');
      kills++;
      recoveries.push(recovery(killedAt, active));
      void startWorker().catch((error: unknown) => console.error(`chaos: replacement worker: ${String(error)}`));
    }
    if (now - started > 30 * 60_000) throw new Error('chaos: runs did not finish within 30 minutes');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const wallMs = Date.now() - started;
  const recovered = await Promise.all(recoveries);

  let documents = 0;
  for (const user of users) documents += await redis.hlen(`${prefix}:docs:{${user === 'big-user' ? 'big' : 'small'}:${user}}`);
  const expected = BIG + USERS * SMALL;
  const written = runs.reduce((n, r) => n + r.counts.written, 0);
  const measured = recovered.filter((ms): ms is number => ms !== undefined && ms > 0);
  printTable(
    ['records', 'lost', 'written twice', 'runs completed', 'wall time', 'kills', 'seconds without progress'],
    [[expected, expected - documents, Math.max(0, written - documents), `${runs.filter((r) => r.status === 'completed').length}/${users.length}`, seconds(wallMs), kills, stalledSeconds]],
  );
  console.log(
    `recovery per kill (kill -> the victim's jobs taken again): ${recovered.map((ms) => (ms === undefined ? 'n/a' : ms === 0 ? 'held none' : seconds(ms))).join(', ')}`,
  );
  if (measured.length) console.log(`recovery: median ${seconds(measured.sort((a, b) => a - b)[Math.floor(measured.length / 2)])}, max ${seconds(Math.max(...measured))}`);
  console.log(`worker log lines with MOVED / CROSSSLOT / "All keys in the pipeline": ${clusterErrorCount}`);
  for (const line of clusterErrors) console.log(`  ${line}`);

  for (const child of [...workers]) {
    const exit = once(child, 'exit');
    child.kill('SIGTERM');
    await exit;
  }
} catch (error) {
  // Leave nothing running behind a failed benchmark: its workers, and the cluster it started.
  for (const child of workers) child.kill('SIGKILL');
  redis.disconnect();
  await cluster?.stop();
  throw error;
}
await sluice.close();
if (cluster) {
  redis.disconnect();
  await cluster.stop();
} else {
  await deletePrefixAt(REDIS_URL, prefix);
  redis.disconnect();
}
