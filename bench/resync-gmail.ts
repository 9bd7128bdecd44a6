/**
 * Re-sync benchmark, Gmail part: a user's first Gmail sync within Gmail's per-user quota, and what
 * re-syncs cost after 0%, 1% and 10% of the mailbox changed (half new messages, a quarter deleted,
 * a quarter relabelled).
 *
 * The fake Gmail server (src/testing/gmail-server.ts: 5,000 messages, 50 ms per request, the
 * per-user quota of 15,000 units a minute enforced, 429 beyond it), the mock LLM (summarize on every
 * message read), Redis, and 2 worker processes of concurrency 8. The limiter's budget for
 * `gmail:user:{userId}` is the same 15,000 units a minute.
 *
 *   npm run bench:resync             (after the GitHub part)
 *   GMAIL_MESSAGES=1000 npx tsx bench/resync-gmail.ts    (a smaller mailbox: a first sync is ~5 units a message)
 *
 * Units, calls and refusals are the fake server's own counts; LLM calls the mock LLM's. The first
 * sync's units a minute are measured over the span in which the server was read (first call to last).
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createSluice } from '../src/runtime/index.js';
import type { RunSnapshot } from '../src/index.js';
import { generateMailbox, startFakeGmail, startMockLlm, type FakeGmail } from '../src/testing/index.js';
import { createRandom } from '../src/testing/github-data.js';
import { GMAIL_PIPELINE_ID, GMAIL_UNITS_PER_MINUTE, GMAIL_USER_ID, gmailResyncConfig, gmailToEnv, type GmailResyncScenario } from './resync-gmail-setup.js';
import { deletePrefixAt, intEnv, printTable, runToEnd, seconds, startWorkerChild, statusOf } from './support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 2;
const EMAIL = 'bench@example.com';
const DEFAULT_MESSAGES = 5_000;
const MESSAGES = intEnv('GMAIL_MESSAGES', DEFAULT_MESSAGES);

const fake = await startFakeGmail({
  users: { [EMAIL]: { messages: generateMailbox({ count: MESSAGES, threadSize: 3 }) } },
  unitsPerMinute: GMAIL_UNITS_PER_MINUTE,
  latencyMs: 50,
  seed: 1,
});
const llm = await startMockLlm({ latencyMs: 20 });
const scenario: GmailResyncScenario = {
  prefix: `bench-resync-gmail-${process.pid}`,
  gmailUrl: fake.url,
  tokenUrl: fake.tokenUrl,
  refreshToken: fake.refreshTokenOf(EMAIL),
  llmUrl: llm.url,
};
const sluice = createSluice(gmailResyncConfig(scenario));
const children: ChildProcess[] = [];

interface Counters {
  units: number;
  calls: number;
  refused: number;
}

interface Figures {
  label: string;
  units: number;
  calls: number;
  refused: number;
  llmCalls: number;
  run: RunSnapshot;
  wallMs: number;
  firstDocMs?: number;
  /** Time from the run's start to the first Gmail call seen (sampled every 100 ms), and to the last one. */
  firstCallMs?: number;
  readMs?: number;
  churn?: string;
}

const sum = (values: Record<string | number, number> | undefined) => Object.values(values ?? {}).reduce((a, b) => a + b, 0);

function counters(server: FakeGmail): Counters {
  return { units: sum(server.stats.unitsPerMinute[EMAIL]), calls: sum(server.stats.calls), refused: sum(server.stats.refused) };
}

/** One run, start to its final event, watching the server's units every 100 ms for the reading span. */
async function sync(label: string, churn?: string): Promise<Figures> {
  llm.reset();
  const before = counters(fake);
  let firstCallAt: number | undefined;
  let lastCallAt: number | undefined;
  let lastUnits = before.units;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const { units } = counters(fake);
      if (units !== lastUnits) {
        firstCallAt ??= Date.now();
        lastCallAt = Date.now();
        lastUnits = units;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const started = Date.now();
  const { run: final, wallMs, firstDocMs } = await runToEnd(sluice, GMAIL_PIPELINE_ID, GMAIL_USER_ID);
  watching = false;
  await watcher;
  const now = counters(fake);
  return {
    label,
    units: now.units - before.units,
    calls: now.calls - before.calls,
    refused: now.refused - before.refused,
    llmCalls: llm.stats().ok,
    run: final,
    wallMs,
    firstDocMs,
    // The first call is seen up to 100 ms late: count the reading span from the run's start.
    firstCallMs: firstCallAt !== undefined ? firstCallAt - started : undefined,
    readMs: lastCallAt !== undefined && firstCallAt !== undefined ? lastCallAt - started : undefined,
    churn,
  };
}

/** Changes `share` of the mailbox: half new messages, a quarter deleted, a quarter given a label. */
function churn(share: number, seed: number): string {
  const random = createRandom(seed);
  const n = Math.max(1, Math.round(share * MESSAGES));
  const added = Math.ceil(n / 2);
  const deleted = Math.floor(n / 4);
  const relabelled = n - added - deleted;
  const ids = fake.messageIds(EMAIL);
  const picked = new Set<string>();
  while (picked.size < deleted + relabelled) picked.add(ids[Math.floor(random.next() * ids.length)]!);
  const [toDelete, toRelabel] = [[...picked].slice(0, deleted), [...picked].slice(deleted)];
  for (const id of toDelete) fake.deleteMessage(EMAIL, id);
  for (const id of toRelabel) fake.relabel(EMAIL, id, { add: ['STARRED'] });
  for (let i = 0; i < added; i++) {
    fake.addMessage(EMAIL, { from: 'Eve Park <eve@example.com>', subject: `New mail ${seed}.${i}`, text: `A new message (${seed}.${i}) about the budget: Eve asks for numbers by Monday.` });
  }
  return `${added} added, ${deleted} deleted, ${relabelled} relabelled`;
}

function print(all: Figures[]): void {
  const scaled = MESSAGES === DEFAULT_MESSAGES ? '' : ` (GMAIL_MESSAGES=${MESSAGES}: scaled down from ${DEFAULT_MESSAGES.toLocaleString('en-US')})`;
  console.log(
    `\nbench:resync (Gmail) — ${MESSAGES.toLocaleString('en-US')} messages${scaled}; Gmail latency 50 ms; ` +
      `quota ${GMAIL_UNITS_PER_MINUTE.toLocaleString('en-US')} units/min per user enforced by the server; ${WORKERS} workers x 8`,
  );
  printTable(
    ['run           ', 'quota units', 'API calls', '429/403', 'LLM calls', 'processed', 'written', 'deleted', 'wall  ', '1st doc', 'status'],
    all.map((f) => {
      const c = f.run.counts;
      return [f.label, f.units, f.calls, f.refused, f.llmCalls, c.processed, c.written, c.deleted ?? 'n/a', seconds(f.wallMs), seconds(f.firstDocMs), statusOf(f.run)];
    }),
  );
  for (const f of all) if (f.churn) console.log(`  ${f.label}: ${f.churn}`);
  const [first, same] = all;
  if (!first) return;
  const readMin = (first.readMs ?? first.wallMs) / 60_000;
  const perMinute = first.units / readMin;
  const share = perMinute / GMAIL_UNITS_PER_MINUTE;
  console.log(
    `first sync: ${(first.run.counts.processed / (first.wallMs / 1000)).toFixed(1)} messages/s over the run; Gmail read for ${seconds(first.readMs)}, ` +
      `${Math.round(perMinute).toLocaleString('en-US')} units/min (${(100 * share).toFixed(0)}% of the quota; busiest minute window ${fake.peakUnitsPerMinute(EMAIL).toLocaleString('en-US')} units)`,
  );
  console.log(`first sync: the first Gmail call ${seconds(first.firstCallMs)} after the run started, the first document ${seconds(first.firstDocMs)} (fresh worker processes: modules, the tokenizer and the OpenAI client load on first use)`);
  if (same) {
    console.log(
      `goals: first sync ≥ 80% of the quota: ${(100 * share).toFixed(0)}%, 429s: ${first.refused}; unchanged ≤ 10 units: ${same.units}, 0 LLM calls: ${same.llmCalls}; ` +
        `first document ≤ 5 s: ${seconds(first.firstDocMs)}`,
    );
  }
}

try {
  await deletePrefixAt(REDIS_URL, scenario.prefix);
  await Promise.all(Array.from({ length: WORKERS }, () => startWorkerChild(ROOT, 'bench/resync-worker.ts', gmailToEnv(scenario), children)));
  const all: Figures[] = [await sync('first sync'), await sync('0% changed')];
  all.push(await sync('1% changed', churn(0.01, 2)));
  all.push(await sync('10% changed', churn(0.1, 3)));
  print(all);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  await sluice.close();
  await deletePrefixAt(REDIS_URL, scenario.prefix);
  await fake.close();
  await llm.close();
}
