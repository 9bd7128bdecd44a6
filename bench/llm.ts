/**
 * `npm run bench:llm`: an onboarding burst against `sluice mock-llm` enforcing 600 RPM and 150,000 TPM.
 * 4 worker processes, 20 users x 500 records, and a 21st user who arrives mid-run. Four scenarios run
 * side by side, each with its own mock server and keys: fairness on/off x configured limits right/2x.
 * Prints achieved RPM and TPM as a share of the limits, 429s, and the late user's times. Asserts nothing.
 * Knobs: BENCH_USERS (20), BENCH_RECORDS (500), BENCH_LATE_AFTER (share of work done before user 21, 0.3).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { deletePrefixAt } from './support.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { startMockLlm, type MockLlm } from '../src/testing/index.js';
import { llmBenchConfig, PIPELINE_ID, toEnv, type LlmScenario } from './llm-setup.js';

const RPM = 600;
const TPM = 150_000;
const WORKERS = 4;
const USERS = Number(process.env.BENCH_USERS ?? 20);
const RECORDS = Number(process.env.BENCH_RECORDS ?? 500);
const LATE_AFTER = Number(process.env.BENCH_LATE_AFTER ?? 0.3);

interface Result {
  name: string;
  seconds: number;
  rpmShare: number;
  tpmShare: number;
  requests: number;
  rateLimited: number;
  lateFirstDocS: number;
  lateDoneS: number;
  failed: number;
}

async function scenario(name: string, factor: number, fairness: 'round-robin' | 'fifo'): Promise<Result> {
  const mock: MockLlm = await startMockLlm({ rpm: RPM, tpm: TPM, latencyMs: { min: 80, max: 220 } });
  const s: LlmScenario = { prefix: `bench-llm-${fairness}-${factor}-${process.pid}`, mockUrl: mock.url, rpm: RPM * factor, tpm: TPM * factor, fairness, records: RECORDS };
  const workers = Array.from({ length: WORKERS }, () => startWorker(s));
  const sluice = createSluice(llmBenchConfig(s));
  try {
    await Promise.all(workers.map((w) => w.ready));
    const started = Date.now();
    const users = Array.from({ length: USERS }, (_, i) => `user-${String(i + 1).padStart(2, '0')}`);
    const runs = await Promise.all(users.map((userId) => sluice.startRun(PIPELINE_ID, { userId })));
    await untilDone(sluice, users, USERS * RECORDS * LATE_AFTER);
    const lateStart = Date.now();
    const late = await sluice.startRun(PIPELINE_ID, { userId: 'user-late' });
    const lateFirst = await firstDocument(sluice, 'user-late', late.runId);
    const finals = await Promise.all([...runs.map((r, i) => finished(sluice, users[i]!, r.runId)), finished(sluice, 'user-late', late.runId)]);
    const lateDone = Date.parse(finals.at(-1)!.finishedAt!);
    const stats = mock.stats();
    // Achieved rate over the busy seconds: from the first accepted request to the last full second.
    const seconds = stats.perSecond.map((b) => b.second);
    const first = Math.min(...seconds);
    const last = Math.max(...seconds);
    const busy = stats.perSecond.filter((b) => b.second > first && b.second < last);
    const span = Math.max(1, last - first - 1);
    const requests = busy.reduce((sum, b) => sum + b.requests, 0);
    const tokens = busy.reduce((sum, b) => sum + b.tokens, 0);
    return {
      name,
      seconds: (Date.now() - started) / 1000,
      rpmShare: (requests / span) * 60 / RPM,
      tpmShare: (tokens / span) * 60 / TPM,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      lateFirstDocS: (lateFirst - lateStart) / 1000,
      lateDoneS: (lateDone - lateStart) / 1000,
      failed: finals.reduce((sum, r) => sum + r.counts.failed, 0),
    };
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await sluice.close();
    await mock.close();
    await deletePrefixAt(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', s.prefix);
  }
}

function startWorker(s: LlmScenario): { child: ChildProcess; ready: Promise<void>; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/llm-worker.ts'], { env: { ...process.env, ...toEnv(s) }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then(() => reject(new Error('worker exited early')));
  });
  return { child, ready, exited };
}

/** Follows the users' snapshots until `processed` across them reaches `target`. */
async function untilDone(sluice: Sluice, users: string[], target: number): Promise<void> {
  for (;;) {
    const runs = (await Promise.all(users.map((u) => sluice.status(u)))).flat();
    if (runs.reduce((sum, r) => sum + r.counts.processed, 0) >= target) return;
    await sluice.events(users[0]!, { after: '$', blockMs: 500 });
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

const results = await Promise.all([
  scenario('limits right, round-robin', 1, 'round-robin'),
  scenario('limits right, fifo', 1, 'fifo'),
  scenario('limits 2x too high, round-robin', 2, 'round-robin'),
  scenario('limits 2x too high, fifo', 2, 'fifo'),
]);

console.log(`\nSluice LLM benchmark: npm run bench:llm  (BENCH_USERS=${USERS} BENCH_RECORDS=${RECORDS}, ${WORKERS} worker processes)`);
console.log(`mock-llm limits ${RPM} RPM, ${TPM.toLocaleString('en')} TPM; the four scenarios ran side by side, each against its own server\n`);
console.log('scenario                          RPM used  TPM used   requests   429s (share)   late user: first doc  done    failed   wall');
for (const r of results) {
  console.log(
    `${r.name.padEnd(33)} ${pct(r.rpmShare).padStart(8)}  ${pct(r.tpmShare).padStart(8)}  ${String(r.requests).padStart(9)}  ${String(r.rateLimited).padStart(5)} (${pct(r.rateLimited / Math.max(1, r.requests)).padStart(5)})   ${`${r.lateFirstDocS.toFixed(1)} s`.padStart(20)}  ${`${r.lateDoneS.toFixed(0)} s`.padStart(6)}  ${String(r.failed).padStart(6)}  ${r.seconds.toFixed(0)} s`,
  );
}
console.log('\ngoals: limits right: >= 95% of the limit used, 0 429s; limits 2x too high: >= 85% used, < 2% 429s; late user first document within 5 s');
process.exit(0);
