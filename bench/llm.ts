/**
 * `npm run bench:llm`: an onboarding burst against `sluice mock-llm` in its faithful mode (charged at
 * admission prompt + max_tokens, one second's share per bucket, 429s count against RPM), 600 RPM and
 * 150,000 TPM advertised, 100 ± 100 ms latency; `summarize` with max_tokens 128 over ~120-token
 * prompts, so RPM and TPM bind together. Five cases, one after another, each with its own server
 * and keys: limits declared right; none declared; the server enforcing half of what its headers
 * claim; two deployments sharing one key; 5xx bursts. Prints quota used of what the server really
 * enforces, the 429 share (and how many came after the first 5 s), Redis commands and round trips
 * per LLM request with their breakdown by script or command (counted in the workers by a census
 * of ioredis sends, bench/redis-census.ts: no MONITOR), tokens billed vs reported, and the late
 * user's first document. Asserts nothing.
 * The 5xx case is time-based, as a provider's overload is: every request answers 503 (the mock's
 * `outage`) for BENCH_5XX_FOR_S seconds every BENCH_5XX_EVERY_S seconds; it also prints the quota
 * used during the time the server was available.
 * Knobs: BENCH_USERS (6), BENCH_RECORDS (60), BENCH_WORKERS (4), BENCH_CASES (all: right,none,half,shared,5xx),
 * BENCH_5XX_EVERY_S (15), BENCH_5XX_FOR_S (3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { deletePrefixAt } from './support.js';
import type { RedisCensus } from './redis-census.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { llmBenchConfig, PIPELINE_ID, toEnv, type LlmScenario } from './llm-setup.js';

const RPM = 600;
const TPM = 150_000;
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
const USERS = Number(process.env.BENCH_USERS ?? 6);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 60);
const LATE_AFTER = 0.3;
const OUTAGE_EVERY_MS = Number(process.env.BENCH_5XX_EVERY_S ?? 15) * 1000;
const OUTAGE_FOR_MS = Number(process.env.BENCH_5XX_FOR_S ?? 3) * 1000;
if (!(OUTAGE_FOR_MS > 0 && OUTAGE_EVERY_MS > OUTAGE_FOR_MS)) throw new Error('BENCH_5XX_FOR_S must be > 0 and less than BENCH_5XX_EVERY_S');

interface Case {
  name: string;
  /** Limits Sluice declares: the advertised ones, or none. */
  declared: boolean;
  /** Share of the advertised limits the server enforces. */
  share: number;
  deployments: number;
  /** Outage windows in time (503 to every request), see BENCH_5XX_*. */
  outages: boolean;
}

const CASES: Record<string, Case> = {
  right: { name: 'limits declared right', declared: true, share: 1, deployments: 1, outages: false },
  none: { name: 'no limits declared', declared: false, share: 1, deployments: 1, outages: false },
  half: { name: 'server enforces half its headers', declared: true, share: 0.5, deployments: 1, outages: false },
  shared: { name: 'two deployments, one key', declared: true, share: 1, deployments: 2, outages: false },
  '5xx': { name: `5xx: ${OUTAGE_FOR_MS / 1000} s outage every ${OUTAGE_EVERY_MS / 1000} s`, declared: true, share: 1, deployments: 1, outages: true },
};

interface Result {
  name: string;
  seconds: number;
  rpmShare: number;
  tpmShare: number;
  requests: number;
  rateLimited: number;
  commandsPerCall: number;
  tripsPerCall: number;
  /** Commands per request by kind, largest first. */
  breakdown: string;
  billed: number;
  reported: number;
  lateFirstDocS: number;
  /** 429s after the first 5 s. */
  lateRateLimited: number;
  failed: number;
  serverErrors: number;
  /** Seconds of the busy span, and how many of them the server was out. */
  span: number;
  outageSeconds: number;
  /** Requests admitted each second of the busy span, `x` marking a second the server was out (outage case). */
  timeline: string;
}

async function runCase(id: string, c: Case): Promise<Result> {
  const mock: MockLlm = await startMockLlm({ rpm: RPM, tpm: TPM, latencyMs: { min: 0, max: 200 }, enforcedShare: c.share });
  const deployments: LlmScenario[] = Array.from({ length: c.deployments }, (_, d) => ({
    prefix: `bench-llm-${id}-${d}-${process.pid}`,
    mockUrl: mock.url,
    rpm: c.declared ? RPM : 0,
    tpm: c.declared ? TPM : 0,
    fairness: 'round-robin',
    records: RECORDS,
  }));
  const workers = deployments.flatMap((s) => Array.from({ length: Math.max(1, WORKERS / c.deployments) }, () => startWorker(s)));
  const clients = deployments.map((s) => createSluice(llmBenchConfig(s)));
  // Outage windows follow the clock, from the mock's start (its per-second histogram's origin).
  const mockStart = performance.now();
  const outages: { from: number; to: number }[] = [];
  const outageTimer = c.outages
    ? setInterval(() => {
        const at = performance.now() - mockStart;
        const on = at % OUTAGE_EVERY_MS >= OUTAGE_EVERY_MS - OUTAGE_FOR_MS;
        const open = outages.at(-1);
        if (on && (!open || open.to >= 0)) {
          mock.setOptions({ outage: true });
          outages.push({ from: at, to: -1 });
        } else if (!on && open && open.to < 0) {
          mock.setOptions({ outage: false });
          open.to = at;
        }
      }, 20)
    : undefined;
  // When the 429s came: a count every 250 ms, to tell the first seconds from the steady state.
  const refusals: { at: number; total: number }[] = [];
  const sampler = setInterval(() => refusals.push({ at: Date.now(), total: mock.stats().rateLimited }), 250);
  try {
    await Promise.all(workers.map((w) => w.ready));
    const started = Date.now();
    const users = Array.from({ length: USERS }, (_, i) => `user-${String(i + 1).padStart(2, '0')}`);
    // Users split across deployments; the late user arrives on the first.
    const owner = (i: number) => clients[i % clients.length]!;
    const runs = await Promise.all(users.map((userId, i) => owner(i).startRun(PIPELINE_ID, { userId })));
    await untilDone(clients, users, USERS * RECORDS * LATE_AFTER);
    const lateStart = Date.now();
    const late = await clients[0]!.startRun(PIPELINE_ID, { userId: 'user-late' });
    const lateFirst = await firstDocument(clients[0]!, 'user-late', late.runId);
    const finals = await Promise.all([...runs.map((r, i) => finished(owner(i), users[i]!, r.runId)), finished(clients[0]!, 'user-late', late.runId)]);
    const seconds = (Date.now() - started) / 1000;
    const stats = mock.stats();
    // Achieved rate over the busy seconds, from the first admitted request to the last full second.
    const secondsSeen = stats.perSecond.map((b) => b.second);
    const first = Math.min(...secondsSeen);
    const last = Math.max(...secondsSeen);
    const busy = stats.perSecond.filter((b) => b.second > first && b.second < last);
    const span = Math.max(1, last - first - 1);
    const requests = busy.reduce((sum, b) => sum + b.requests, 0);
    const tokens = busy.reduce((sum, b) => sum + b.tokens, 0);
    // Seconds of the busy span [first + 1, last) during which the server was out.
    const outageSeconds = outages.reduce((sum, o) => {
      const to = o.to < 0 ? performance.now() - mockStart : o.to;
      return sum + Math.max(0, Math.min(to, last * 1000) - Math.max(o.from, (first + 1) * 1000)) / 1000;
    }, 0);
    for (const w of workers) w.child.kill('SIGTERM');
    const census = await Promise.all(workers.map((w) => w.census));
    const commands = census.reduce((a, b) => a + b.commands, 0);
    const trips = census.reduce((a, b) => a + b.roundTrips, 0);
    const byKind: Record<string, number> = {};
    for (const c of census) for (const [kind, n] of Object.entries(c.byKind)) byKind[kind] = (byKind[kind] ?? 0) + n;
    const perRequest = (n: number) => n / Math.max(1, stats.requests);
    const reported = finals.reduce((sum, r) => sum + (r.usage ? r.usage.promptTokens + r.usage.completionTokens : 0), 0);
    return {
      name: c.name,
      seconds,
      rpmShare: (requests / span) * 60 / (RPM * c.share),
      tpmShare: (tokens / span) * 60 / (TPM * c.share),
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      commandsPerCall: perRequest(commands),
      tripsPerCall: perRequest(trips),
      breakdown: Object.entries(byKind)
        .sort((a, b) => b[1] - a[1])
        .filter(([, n]) => perRequest(n) >= 0.05)
        .map(([kind, n]) => `${kind} ${perRequest(n).toFixed(2)}`)
        .join(', '),
      billed: stats.promptTokens + stats.completionTokens,
      reported,
      lateFirstDocS: (lateFirst - lateStart) / 1000,
      lateRateLimited: stats.rateLimited - (refusals.find((r) => r.at >= started + 5000)?.total ?? stats.rateLimited),
      failed: finals.reduce((sum, r) => sum + r.counts.failed, 0),
      serverErrors: stats.serverErrors,
      span,
      outageSeconds,
      timeline: c.outages ? timelineOf(busy.map((b) => b.second), busy.map((b) => b.requests), outages, mockStart) : '',
    };
  } finally {
    if (outageTimer) clearInterval(outageTimer);
    clearInterval(sampler);
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.all(clients.map((s) => s.close()));
    await mock.close();
    for (const s of deployments) await deletePrefixAt(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', s.prefix);
  }
}

/** `12 11 x3 x0 0 0 10 ...`: a second that overlapped an outage is prefixed `x`. */
function timelineOf(seconds: number[], requests: number[], outages: { from: number; to: number }[], mockStart: number): string {
  const out = (second: number) => outages.some((o) => o.from < (second + 1) * 1000 && (o.to < 0 ? performance.now() - mockStart : o.to) > second * 1000);
  const bySecond = new Map(seconds.map((second, i) => [second, requests[i]!]));
  if (seconds.length === 0) return '';
  const all = Array.from({ length: Math.max(...seconds) - Math.min(...seconds) + 1 }, (_, i) => Math.min(...seconds) + i);
  return all.map((second) => `${out(second) ? 'x' : ''}${bySecond.get(second) ?? 0}`).join(' ');
}

const NO_CENSUS: RedisCensus = { commands: 0, roundTrips: 0, byKind: {} };

function startWorker(s: LlmScenario): { child: ChildProcess; ready: Promise<void>; exited: Promise<unknown>; census: Promise<RedisCensus> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/llm-worker.ts'], { env: { ...process.env, ...toEnv(s) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('ready') && resolve());
    void exited.then(() => reject(new Error('worker exited early')));
  });
  const census = exited.then(() => {
    const line = /redis-census (.*)/.exec(out)?.[1];
    return line ? (JSON.parse(line) as RedisCensus) : NO_CENSUS;
  });
  return { child, ready, exited, census };
}

/** Follows the users' snapshots until `processed` across them reaches `target`. */
async function untilDone(clients: Sluice[], users: string[], target: number): Promise<void> {
  for (;;) {
    const runs = (await Promise.all(users.map((u, i) => clients[i % clients.length]!.status(u)))).flat();
    if (runs.reduce((sum, r) => sum + r.counts.processed, 0) >= target) return;
    await clients[0]!.events(users[0]!, { after: '$', blockMs: 500 });
  }
}

async function firstDocument(sluice: Sluice, userId: string, runId: string): Promise<number> {
  let after: string | undefined;
  for (;;) {
    for (const event of await sluice.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if (event.runId === runId && 'run' in event && event.run.counts.processed > 0) return Date.now();
    }
  }
}

async function finished(sluice: Sluice, userId: string, runId: string) {
  let after: string | undefined;
  for (;;) {
    for (const event of await sluice.events(userId, { after, blockMs: 1000 })) {
      after = event.id;
      if (event.runId === runId && (event.type === 'run.completed' || event.type === 'run.failed')) return event.run;
    }
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const row = (r: Result) =>
  `${r.name.padEnd(33)} ${pct(r.rpmShare).padStart(8)}  ${pct(r.tpmShare).padStart(8)}  ${String(r.requests).padStart(8)}  ${String(r.rateLimited).padStart(4)} (${pct(r.rateLimited / Math.max(1, r.requests)).padStart(5)})  ${`${r.commandsPerCall.toFixed(1)} / ${r.tripsPerCall.toFixed(1)}`.padStart(11)}  ${String(r.billed).padStart(8)}  ${String(r.reported).padStart(8)}  ${`${r.lateFirstDocS.toFixed(1)} s`.padStart(12)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(0)} s`;
/** Quota used while the server was available (the busy span less its outage seconds), and the 5xx it answered. */
const outageLine = (r: Result) => {
  const available = (r.span - r.outageSeconds) / r.span;
  return `${r.name}: ${r.serverErrors} 5xx; server out ${r.outageSeconds.toFixed(1)} of ${r.span} s; used while available RPM ${pct(r.rpmShare / available)}, TPM ${pct(r.tpmShare / available)}`;
};
const header = 'case                              RPM used  TPM used  requests  429s (share)  redis cmd/trip  billed    reported  late 1st doc  failed  wall';
const chosen = (process.env.BENCH_CASES ?? Object.keys(CASES).join(',')).split(',');
const results: Result[] = [];
for (const id of chosen) {
  const c = CASES[id];
  if (!c) throw new Error(`unknown case "${id}"; cases: ${Object.keys(CASES).join(', ')}`);
  const result = await runCase(id, c);
  results.push(result);
  // Each case as it ends, so a long run shows its figures as it goes.
  console.error(row(result));
  console.error(`  429s after the first 5 s: ${result.lateRateLimited}; redis commands per request: ${result.breakdown}`);
  if (result.outageSeconds > 0) console.error(`  ${outageLine(result)}\n  requests per second (x: server out): ${result.timeline}`);
}

console.log(`\nSluice LLM benchmark: npm run bench:llm  (BENCH_USERS=${USERS} BENCH_RECORDS=${RECORDS}, ${WORKERS} worker processes, concurrency 2)`);
console.log(`faithful mock-llm advertising ${RPM} RPM, ${TPM.toLocaleString('en')} TPM, latency 100 ± 100 ms; cases one after another\n`);
console.log(header);
for (const r of results) console.log(row(r));
console.log('\nRedis commands per request, by command and key family (workers only):');
for (const r of results) console.log(`  ${r.name}: ${r.breakdown}`);
for (const r of results) if (r.outageSeconds > 0) console.log(outageLine(r));
console.log('\nused = of what the server enforces; redis cmd/trip = every Redis command the workers sent, and their round trips (a pipeline is one), per request to the server;');
console.log('goals: right/none >= 95% with 0 429s; half/shared >= 85% with < 2% 429s; reported within 1% of billed; late user first document within 5 s');
process.exit(0);
