/**
 * Core benchmark: raw BullMQ vs Sluice on the same Redis, one after the other.
 *
 *   npm run bench                          (20,000 BullMQ jobs, 100,000 Sluice records)
 *   BENCH_JOBS=5000 BENCH_RECORDS=20000 npm run bench
 *
 * 1. Raw BullMQ: no-op jobs added with addBulk (chunks of 1000), then ONE child process runs a
 *    Worker (concurrency 50); throughput from the first job start to the last completion.
 * 2. Sluice: a no-op pipeline (no steps) over synthetic records (pages of 1000, batches of 100)
 *    into the Redis sink, run by ONE worker child (concurrency 50); throughput from startRun to
 *    the run.completed event.
 * Redis commands come from INFO commandstats before/after each phase (server-wide, includes the
 * commands Lua scripts run), so the figures assume an otherwise idle Redis. Prints figures,
 * asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { deletePrefix, intEnv } from './support.js';
import { createKeys } from '../src/store/keys.js';
import type { RunSnapshot } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import {
  BATCH_SIZE,
  benchConfig,
  CONCURRENCY,
  PAGE_SIZE,
  PIPELINE_ID,
  RAW_QUEUE,
  REDIS_URL,
  USER_ID,
  type ChildMessage,
  type MemSample,
  type ParentMessage,
} from './setup.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = intEnv('BENCH_JOBS', 20_000);
const RECORDS = intEnv('BENCH_RECORDS', 100_000);
const ADD_CHUNK = 1000;
const PHASE_TIMEOUT_MS = 10 * 60_000;
/** Retained-heap growth (after full GC, end vs start) still read as "not growing". */
const RETAINED_HEAP_TOLERANCE = 8 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Worker children

type MessageOf<T extends ChildMessage['type']> = Extract<ChildMessage, { type: T }>;

const children = new Set<Child>();

/** A worker child process with an IPC inbox and the memory samples it sent. */
class Child {
  readonly proc: ChildProcess;
  readonly samples: MemSample[] = [];
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters = new Set<{ type: string; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  private exit: string | undefined;
  private stopping = false;
  private readonly exited: Promise<void>;
  /** Rejects if the child exits before stop() was called. */
  readonly crashed: Promise<never>;

  constructor(readonly name: string, script: string, args: string[]) {
    // --expose-gc only lets the child take its start/end memory samples after a full GC.
    this.proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this);
    this.proc.on('message', (message: ChildMessage) => {
      if ('mem' in message) this.samples.push(message.mem);
      if (message.type === 'sample') return;
      for (const waiter of this.waiters) {
        if (waiter.type !== message.type) continue;
        this.waiters.delete(waiter);
        return waiter.resolve(message);
      }
      this.inbox.push(message);
    });
    this.exited = new Promise((resolve) => {
      const onExit = (why: string) => {
        this.exit ??= why;
        children.delete(this);
        for (const waiter of this.waiters) waiter.reject(new Error(`${this.name} (pid ${this.proc.pid}) ${why} before sending "${waiter.type}"`));
        this.waiters.clear();
        resolve();
      };
      this.proc.on('exit', (code, signal) => onExit(signal ? `was killed by ${signal}` : `exited with code ${code}`));
      this.proc.on('error', (error) => onExit(`failed: ${error.message}`));
    });
    this.crashed = this.exited.then(() => {
      throw new Error(`${this.name} (pid ${this.proc.pid}) ${this.exit}${this.stopping ? ' while stopping' : ' unexpectedly'}`);
    });
    this.crashed.catch(() => undefined); // only observed through Promise.race
  }

  waitFor<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0] as MessageOf<T>);
    if (this.exit) return Promise.reject(new Error(`${this.name} ${this.exit}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        type,
        resolve: (m: ChildMessage) => (clearTimeout(timer), resolve(m as MessageOf<T>)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.waiters.add(waiter);
    });
  }

  send(message: ParentMessage): void {
    this.proc.send(message);
  }

  /** Memory and CPU of the child right now. */
  async stats(): Promise<MemSample> {
    const reply = this.waitFor('stats', 10_000);
    this.send({ type: 'stats' });
    return (await reply).mem;
  }

  /** SIGTERM by pid (the child closes and reports), SIGKILL by pid if it does not exit in time. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.exit || this.proc.pid === undefined) return;
    this.stopping = true;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  killNow(): void {
    this.stopping = true;
    if (!this.exit && this.proc.pid !== undefined) this.proc.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------------------------------------
// Redis INFO snapshots

interface RedisSnapshot {
  commands: Map<string, { calls: number; usec: number }>;
  netIn: number;
  netOut: number;
  cpuMs: number;
}

interface RedisDelta {
  /** Every command of every client, including those run inside Lua scripts (INFO itself left out). */
  calls: number;
  usec: number;
  byCommand: { name: string; calls: number; usec: number }[];
  netIn: number;
  netOut: number;
  cpuMs: number;
}

async function redisSnapshot(admin: Redis): Promise<RedisSnapshot> {
  const text = (await admin.call('INFO', 'commandstats', 'stats', 'cpu')) as string;
  const commands = new Map<string, { calls: number; usec: number }>();
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const cmd = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (cmd) commands.set(cmd[1]!, { calls: Number(cmd[2]), usec: Number(cmd[3]) });
    else if (line.includes(':')) fields.set(line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1));
  }
  const num = (name: string) => Number(fields.get(name) ?? 0);
  return {
    commands,
    netIn: num('total_net_input_bytes'),
    netOut: num('total_net_output_bytes'),
    cpuMs: (num('used_cpu_sys') + num('used_cpu_user')) * 1000,
  };
}

function redisDelta(before: RedisSnapshot, after: RedisSnapshot): RedisDelta {
  const byCommand: RedisDelta['byCommand'] = [];
  for (const [name, stat] of after.commands) {
    if (name === 'info') continue;
    const prev = before.commands.get(name) ?? { calls: 0, usec: 0 };
    if (stat.calls > prev.calls) byCommand.push({ name, calls: stat.calls - prev.calls, usec: stat.usec - prev.usec });
  }
  byCommand.sort((a, b) => b.calls - a.calls);
  return {
    calls: byCommand.reduce((sum, c) => sum + c.calls, 0),
    usec: byCommand.reduce((sum, c) => sum + c.usec, 0),
    byCommand,
    netIn: after.netIn - before.netIn,
    netOut: after.netOut - before.netOut,
    cpuMs: after.cpuMs - before.cpuMs,
  };
}

function mergeDelta(a: RedisDelta, b: RedisDelta): RedisDelta {
  const byName = new Map<string, { name: string; calls: number; usec: number }>();
  for (const c of [...a.byCommand, ...b.byCommand]) {
    const entry = byName.get(c.name) ?? { name: c.name, calls: 0, usec: 0 };
    entry.calls += c.calls;
    entry.usec += c.usec;
    byName.set(c.name, entry);
  }
  return {
    calls: a.calls + b.calls,
    usec: a.usec + b.usec,
    byCommand: [...byName.values()].sort((x, y) => y.calls - x.calls),
    netIn: a.netIn + b.netIn,
    netOut: a.netOut + b.netOut,
    cpuMs: a.cpuMs + b.cpuMs,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: raw BullMQ

interface RawResult {
  jobs: number;
  addMs: number;
  processMs: number;
  /** From sending `go` to receiving `done`, as the parent saw it (includes IPC latency). */
  wallMs: number;
  enqueue: RedisDelta;
  process: RedisDelta;
  childCpuMs: number;
}

async function rawBullmq(admin: Redis, prefix: string, jobs: number): Promise<RawResult> {
  const child = new Child('bullmq-child', 'bench/bullmq-child.ts', [prefix, RAW_QUEUE, String(jobs)]);
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(RAW_QUEUE, { connection, prefix: `{${prefix}}` });
  try {
    await Promise.all([child.waitFor('ready', 60_000), queue.waitUntilReady()]);

    const s0 = await redisSnapshot(admin);
    const addStart = performance.now();
    for (let from = 0; from < jobs; from += ADD_CHUNK) {
      const chunk = Array.from({ length: Math.min(ADD_CHUNK, jobs - from) }, (_, i) => ({
        name: 'noop',
        data: { n: from + i },
        opts: { removeOnComplete: true }, // as Sluice's shard jobs
      }));
      await queue.addBulk(chunk);
    }
    const addMs = performance.now() - addStart;
    const s1 = await redisSnapshot(admin);

    const cpu0 = await child.stats();
    const done = child.waitFor('done', PHASE_TIMEOUT_MS);
    const goAt = performance.now();
    child.send({ type: 'go' });
    const result = await done;
    const wallMs = performance.now() - goAt;
    const s2 = await redisSnapshot(admin);
    const cpu1 = await child.stats();

    return {
      jobs: result.count,
      addMs,
      processMs: result.lastDoneAt - result.firstStartAt,
      wallMs,
      enqueue: redisDelta(s0, s1),
      process: redisDelta(s1, s2),
      childCpuMs: cpu1.cpuMs - cpu0.cpuMs,
    };
  } finally {
    await queue.close().catch(() => undefined);
    connection.disconnect();
    await child.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: Sluice

interface SluiceResult {
  records: number;
  pageJobs: number;
  batchJobs: number;
  wallMs: number;
  /** startedAt -> finishedAt as stored in the run (server-side view). */
  runMs: number;
  run: RunSnapshot;
  documents: number;
  redis: RedisDelta;
  /** XREAD calls the bench made to follow progress: observer cost, inside `redis.calls`. */
  observerReads: number;
  eventsSeen: number;
  childCpuMs: number;
  mem: {
    start: MemSample;
    end: MemSample;
    atCompletion: MemSample;
    peak: MemSample;
    firstHalfPeak: number;
    secondHalfPeak: number;
    /** RSS of the sample nearest to 0, 25, 50, 75 and 100% of the run. */
    timeline: number[];
    samples: number;
  };
}

async function sluiceRun(admin: Redis, prefix: string, records: number): Promise<SluiceResult> {
  const child = new Child('worker-child', 'bench/worker-child.ts', [prefix, String(records)]);
  let sluice: Sluice | undefined;
  try {
    const ready = await child.waitFor('ready', 60_000);
    sluice = createSluice(benchConfig(prefix, records));
    await sluice.ping(); // connected before measuring

    const s0 = await redisSnapshot(admin);
    const cpu0 = await child.stats();
    const t0 = performance.now();
    const startedAt = Date.now();
    const { runId } = await sluice.startRun(PIPELINE_ID, { userId: USER_ID });
    const follow = followRun(sluice, runId, PHASE_TIMEOUT_MS);
    follow.catch(() => undefined); // if the child crashes first, the read fails once the connection closes
    const followed = await Promise.race([follow, child.crashed]);
    const wallMs = performance.now() - t0;
    const finishedAt = Date.now();
    const s1 = await redisSnapshot(admin);
    const atCompletion = await child.stats();

    if (followed.run.status !== 'completed') throw new Error(`run ${runId} ${followed.run.status}: ${followed.run.error ?? ''}`);
    const documents = await admin.hlen(createKeys(prefix).sink(PIPELINE_ID, USER_ID).documents);

    const end = child.waitFor('end', 60_000);
    await child.stop();
    const endMem = (await end).mem;

    const during = child.samples.filter((s) => s.at >= startedAt && s.at <= finishedAt);
    const middle = startedAt + (finishedAt - startedAt) / 2;
    const peakOf = (list: MemSample[]) => list.reduce((max, s) => Math.max(max, s.rss), 0);
    const peak = child.samples.reduce((max, s) => (s.rss > max.rss ? s : max), ready.mem);
    const pageJobs = Math.ceil(records / PAGE_SIZE);
    let batchJobs = 0;
    for (let offset = 0; offset < records; offset += PAGE_SIZE) batchJobs += Math.ceil(Math.min(PAGE_SIZE, records - offset) / BATCH_SIZE);
    return {
      records,
      pageJobs,
      batchJobs,
      wallMs,
      runMs: Date.parse(followed.run.finishedAt ?? '') - Date.parse(followed.run.startedAt),
      run: followed.run,
      documents,
      redis: redisDelta(s0, s1),
      observerReads: followed.reads,
      eventsSeen: followed.events,
      childCpuMs: atCompletion.cpuMs - cpu0.cpuMs,
      mem: {
        start: ready.mem,
        end: endMem,
        atCompletion,
        peak,
        firstHalfPeak: peakOf(during.filter((s) => s.at < middle)),
        secondHalfPeak: peakOf(during.filter((s) => s.at >= middle)),
        timeline: [0, 0.25, 0.5, 0.75, 1].map((f) => nearest([ready.mem, ...during, atCompletion], startedAt + f * (finishedAt - startedAt)).rss),
        samples: child.samples.length,
      },
    };
  } finally {
    await sluice?.close().catch(() => undefined);
    await child.stop();
  }
}

function nearest(samples: MemSample[], at: number): MemSample {
  return samples.reduce((best, s) => (Math.abs(s.at - at) < Math.abs(best.at - at) ? s : best));
}

/** Follows the user's progress stream (XREAD BLOCK) until the run's final event. */
async function followRun(sluice: Sluice, runId: string, timeoutMs: number): Promise<{ run: RunSnapshot; reads: number; events: number }> {
  const deadline = Date.now() + timeoutMs;
  let after: string | undefined;
  let reads = 0;
  let events = 0;
  while (Date.now() < deadline) {
    const batch = await sluice.events(USER_ID, { after, blockMs: 1000 });
    reads++;
    for (const event of batch) {
      after = event.id;
      events++;
      if (event.runId === runId && (event.type === 'run.completed' || event.type === 'run.failed')) return { run: event.run, reads, events };
    }
  }
  throw new Error(`run ${runId} did not finish within ${timeoutMs} ms`);
}

// ---------------------------------------------------------------------------------------------
// Output

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? pad(c, widths[i]!) : lpad(c, widths[i]!))).join('  ');
}

function report(env: Environment, raw: RawResult, sl: SluiceResult): void {
  const rawRate = raw.jobs / (raw.processMs / 1000);
  const sluiceRate = sl.records / (sl.wallMs / 1000);
  const rawAll = mergeDelta(raw.enqueue, raw.process);
  const rawPerJob = rawAll.calls / raw.jobs;
  const rawPerJobProcess = raw.process.calls / raw.jobs;
  const slPerRecord = sl.redis.calls / sl.records;
  const throughputRatio = sluiceRate / rawRate;
  const commandRatio = rawPerJob / slPerRecord;
  const rssGrowth = sl.mem.end.rss - sl.mem.start.rss;
  const retainedGrowth = sl.mem.end.heapUsed - sl.mem.start.heapUsed;
  const gcSamples = sl.mem.start.afterGc && sl.mem.end.afterGc;
  const notGrowing = gcSamples && retainedGrowth < RETAINED_HEAP_TOLERANCE;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out();
  out('Sluice core benchmark');
  out(`command : ${env.command}`);
  out(`versions: node ${process.version}, redis ${env.redisVersion}, bullmq ${env.bullmq}, ioredis ${env.ioredis}; ${env.cpus}`);
  out(`setup   : redis ${REDIS_URL}, key prefix ${env.prefix}; one worker child process each, concurrency ${CONCURRENCY}`);
  out('note    : Redis figures are INFO commandstats deltas (server-wide, incl. commands run inside Lua, EVALSHA/EVAL');
  out('          counted too, INFO itself excluded): they assume an otherwise idle Redis during the run.');
  out();

  const w = [26, 18, 18, 9, 26];
  out(row(['', 'raw BullMQ', 'Sluice', 'ratio', 'goal'], w));
  out(row(['workload', `${int(raw.jobs)} no-op jobs`, `${int(sl.records)} records`, '', ''], w));
  out(row(['throughput', `${int(rawRate)} jobs/s`, `${int(sluiceRate)} rec/s`, `${fixed(throughputRatio)}x`, `Sluice >= 2x: ${met(throughputRatio >= 2)}`], w));
  out(row(['Redis commands', `${fixed(rawPerJob, 1)} /job`, `${fixed(slPerRecord, 3)} /rec`, `${fixed(commandRatio, 1)}x`, `>= 5x fewer: ${met(commandRatio >= 5)}`], w));
  out(row(['worker RSS start/end/peak', '', `${mib(sl.mem.start.rss)}/${mib(sl.mem.end.rss)}/${mib(sl.mem.peak.rss)} MB`, '', `not growing: ${gcSamples ? met(notGrowing) : 'n/a (no gc)'}`], w));
  out(row(['retained heap start/end', '', `${mib(sl.mem.start.heapUsed)}/${mib(sl.mem.end.heapUsed)} MB`, '', `(after full GC, ${retainedGrowth >= 0 ? '+' : ''}${mib(retainedGrowth)} MB)`], w));
  out();

  out('raw BullMQ');
  out(`  enqueue   : ${int(raw.jobs)} jobs by addBulk x${Math.ceil(raw.jobs / ADD_CHUNK)} in ${int(raw.addMs)} ms; ${int(raw.enqueue.calls)} commands (${fixed(raw.enqueue.calls / raw.jobs, 1)}/job)`);
  out(`  process   : first start -> last completion ${int(raw.processMs)} ms (parent saw ${int(raw.wallMs)} ms) = ${int(rawRate)} jobs/s; ${int(raw.process.calls)} commands (${fixed(rawPerJobProcess, 1)}/job)`);
  out(`  per job   : ${fixed(rawPerJob, 1)} commands (enqueue + process), Redis ${fixed(rawAll.usec / raw.jobs, 1)} us command time, ${int((rawAll.netIn + rawAll.netOut) / raw.jobs)} B net in+out`);
  out(`  CPU       : worker child ${int(raw.childCpuMs)} ms, Redis ${int(raw.process.cpuMs)} ms over the ${int(raw.processMs)} ms processing window`);
  out();

  out('Sluice');
  out(`  run       : startRun -> run.completed ${int(sl.wallMs)} ms (run state says ${int(sl.runMs)} ms) = ${int(sluiceRate)} rec/s`);
  out(`  shards    : ${sl.pageJobs} page jobs (page ${PAGE_SIZE}) + ${sl.batchJobs} batch jobs (batch ${BATCH_SIZE}) = ${int((sl.pageJobs + sl.batchJobs) / (sl.wallMs / 1000))} jobs/s`);
  out(`  counts    : ${JSON.stringify(sl.run.counts)}; ${int(sl.documents)} documents in the sink`);
  out(`  commands  : ${int(sl.redis.calls)} total = ${fixed(slPerRecord, 3)}/record, ${fixed(sl.redis.calls / sl.batchJobs, 1)}/batch job (incl. ${sl.observerReads} XREADs by the bench following ${sl.eventsSeen} progress events)`);
  out(`  per record: Redis ${fixed(sl.redis.usec / sl.records, 2)} us command time, ${int((sl.redis.netIn + sl.redis.netOut) / sl.records)} B net in+out (${mib(sl.redis.netIn)} MB in, ${mib(sl.redis.netOut)} MB out)`);
  out(`  CPU       : worker child ${int(sl.childCpuMs)} ms (${fixed((sl.childCpuMs / sl.wallMs) * 100, 0)}% of one core), Redis ${int(sl.redis.cpuMs)} ms over the ${int(sl.wallMs)} ms run`);
  out(
    `  worker RSS: start ${mib(sl.mem.start.rss)} MB, at completion ${mib(sl.mem.atCompletion.rss)} MB, end (after close) ${mib(sl.mem.end.rss)} MB (${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)}), ` +
      `peak ${mib(sl.mem.peak.rss)} MB; peak in 1st/2nd half of the run ${mib(sl.mem.firstHalfPeak)}/${mib(sl.mem.secondHalfPeak)} MB (${sl.mem.samples} samples, every 200 ms)`,
  );
  out(`  RSS over the run at 0/25/50/75/100%: ${sl.mem.timeline.map(mib).join(' / ')} MB`);
  out(`  heap used : start ${mib(sl.mem.start.heapUsed)} MB (after GC), at completion ${mib(sl.mem.atCompletion.heapUsed)} MB (no GC), end ${mib(sl.mem.end.heapUsed)} MB (after close + GC)`);
  out();

  out('Redis commands by name (top 14 per phase)');
  const cw = [22, 10, 9, 12, 22, 10, 11, 10, 10];
  out(row(['raw BullMQ', 'calls', '/job', 'us/job', 'Sluice', 'calls', '/batch job', '/record', 'us/record'], cw));
  const rawTop = rawAll.byCommand.slice(0, 14);
  const slTop = sl.redis.byCommand.slice(0, 14);
  for (let i = 0; i < Math.max(rawTop.length, slTop.length); i++) {
    const r = rawTop[i];
    const s = slTop[i];
    out(
      row(
        [
          r?.name ?? '',
          r ? int(r.calls) : '',
          r ? fixed(r.calls / raw.jobs, 2) : '',
          r ? fixed(r.usec / raw.jobs, 2) : '',
          s?.name ?? '',
          s ? int(s.calls) : '',
          s ? fixed(s.calls / sl.batchJobs, 2) : '',
          s ? fixed(s.calls / sl.records, 3) : '',
          s ? fixed(s.usec / sl.records, 3) : '',
        ],
        cw,
      ),
    );
  }
  out();
  out('goals: Sluice >= 2x raw BullMQ throughput; >= 5x fewer Redis commands per record than per raw job (enqueue + process);');
  out(`       worker memory not growing: retained heap after a full GC at the end within ${mib(RETAINED_HEAP_TOLERANCE)} MB of the start (RSS`);
  out('       itself rises from the idle start to a working plateau as V8 sizes its heap; see the RSS timeline above).');
  out('       On a shared 2-core machine absolute throughput varies run to run (2x is common); the ratios are steadier.');
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Main

interface Environment {
  command: string;
  prefix: string;
  redisVersion: string;
  bullmq: string;
  ioredis: string;
  cpus: string;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    for (const child of [...children]) child.killNow();
    const deleted = await deletePrefix(admin, prefix).catch((error: unknown) => {
      console.error(`cleanup of ${prefix} failed:`, error);
      return 0;
    });
    console.log(`cleanup: unlinked ${int(deleted)} keys of ${prefix}:* and {${prefix}}:*`);
    admin.disconnect();
  };
  process.once('SIGINT', () => {
    console.error('interrupted: stopping children and deleting keys');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    const server = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?';
    const env: Environment = {
      command: `npm run bench  (BENCH_JOBS=${JOBS} BENCH_RECORDS=${RECORDS})`,
      prefix,
      redisVersion: server,
      bullmq: packageVersion('bullmq'),
      ioredis: packageVersion('ioredis'),
      cpus: `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), ${process.platform} ${process.arch}`,
    };
    console.log(`bench: prefix ${prefix}; phase 1/2 raw BullMQ, ${int(JOBS)} jobs ...`);
    const raw = await rawBullmq(admin, prefix, JOBS);
    console.log(`bench: raw BullMQ done in ${int(raw.processMs)} ms; phase 2/2 Sluice, ${int(RECORDS)} records ...`);
    const sl = await sluiceRun(admin, prefix, RECORDS);
    report(env, raw, sl);
  } finally {
    for (const child of [...children]) await child.stop(5_000);
    await cleanup();
  }
}

main()
  .catch((error: unknown) => {
    console.error('bench failed:', error);
    process.exitCode = 1;
  })
  .finally(() => {
    // Everything is closed by now; if a handle still lingers, do not hang the terminal.
    setTimeout(() => {
      console.error('bench: a handle kept the process alive after cleanup; exiting');
      process.exit(process.exitCode ?? 0);
    }, 3_000).unref();
  });
