/**
 * Re-sync benchmark: what a user's first GitHub sync costs, and what re-syncs cost after 0%, 1%
 * and 10% of the files, issues and comments changed or were deleted.
 *
 * A local GitHub-like server (src/testing/github-server.ts: 2,000 files, 500 issues, 100 pulls,
 * 3 comments per issue, 50 ms per request, primary limit raised so no run waits on it), the mock
 * LLM (summarize on every record that changed), Redis, and 2 worker processes of concurrency 8.
 *
 *   npm run bench:resync
 *
 * LLM calls and tokens are the mock LLM's own counts. Worker-slot utilisation of the first sync is
 * the mean of BullMQ's active-job count sampled every 100 ms, over the 16 slots.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createSluice } from '../src/runtime/index.js';
import type { RunSnapshot } from '../src/index.js';
import { generateRepo, startFakeGitHub, type ChurnReport } from '../src/testing/github-server.js';
import { startMockLlm } from '../src/testing/index.js';
import { CONCURRENCY, PIPELINE_ID, REPO, TOKEN, USER_ID, resyncConfig, toEnv, type ResyncScenario } from './resync-setup.js';
import { deletePrefixAt, printTable, runToEnd, seconds, startWorkerChild, statusOf } from './support.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WORKERS = 2;

const [owner, name] = REPO.split('/') as [string, string];
const gh = await startFakeGitHub({
  repos: [generateRepo({ owner, name, files: 2000, issues: 500, pulls: 100, commentsPerIssue: 3, seed: 1 })],
  tokens: [TOKEN],
  rateLimit: 1_000_000,
  latencyMs: 50,
});
const llm = await startMockLlm({ latencyMs: 20 });
const scenario: ResyncScenario = { prefix: `bench-resync-${process.pid}`, githubUrl: gh.url, llmUrl: llm.url };
const sluice = createSluice(resyncConfig(scenario));
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const queue = new Queue('default', { connection: redis, prefix: `{${scenario.prefix}}` });
const children: ChildProcess[] = [];

interface Figures {
  label: string;
  requests: number;
  notModified: number;
  llmCalls: number;
  llmTokens: number;
  run: RunSnapshot;
  wallMs: number;
  firstDocMs?: number;
  utilisation?: number;
  churn?: string;
}

/** One run, start to its final event; optionally samples active jobs every 100 ms. */
async function sync(label: string, sampleSlots: boolean, churn?: ChurnReport): Promise<Figures> {
  gh.stats.reset();
  llm.reset();
  const samples: number[] = [];
  let sampling = true;
  const sampler = sampleSlots
    ? (async () => {
        while (sampling) {
          samples.push(await queue.getActiveCount());
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })()
    : undefined;
  const { run: final, wallMs, firstDocMs } = await runToEnd(sluice, PIPELINE_ID, USER_ID);
  sampling = false;
  await sampler;
  const stats = llm.stats();
  return {
    label,
    requests: gh.stats.requests,
    notModified: gh.stats.notModified,
    llmCalls: stats.ok,
    llmTokens: stats.promptTokens + stats.completionTokens,
    run: final,
    wallMs,
    firstDocMs,
    utilisation: sampleSlots && samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length / (WORKERS * CONCURRENCY) : undefined,
    churn: churn && describeChurn(churn),
  };
}

function describeChurn(c: ChurnReport): string {
  return `files ${c.files.edited.length} edited / ${c.files.deleted.length} deleted, issues+pulls ${c.issues.edited.length} / ${c.issues.deleted.length}, comments ${c.comments.edited.length} / ${c.comments.deleted.length}`;
}

function print(all: Figures[]): void {
  const first = all[0]!;
  const pct = (n: number) => `${((100 * n) / first.requests).toFixed(1)}%`;
  console.log(`\nbench:resync — ${REPO}: 2,000 files, 500 issues, 100 pulls, 3 comments per issue; GitHub latency 50 ms; ${WORKERS} workers x ${CONCURRENCY}`);
  printTable(
    ['run           ', 'API requests (of 1st)', '304s', 'LLM calls', 'LLM tokens', 'processed', 'written', 'deleted', 'wall  ', '1st doc', 'status'],
    all.map((f) => {
      const c = f.run.counts;
      return [f.label, `${f.requests} (${pct(f.requests)})`, f.notModified, f.llmCalls, f.llmTokens, c.processed, c.written, c.deleted ?? 'n/a', seconds(f.wallMs), seconds(f.firstDocMs), statusOf(f.run)];
    }),
  );
  for (const f of all) if (f.churn) console.log(`  ${f.label}: ${f.churn}`);
  if (first.utilisation !== undefined) {
    console.log(`first sync: worker slots busy ${(100 * first.utilisation).toFixed(0)}% on average (active jobs sampled every 100 ms / ${WORKERS * CONCURRENCY} slots)`);
  }
  const [, same, one] = all;
  if (same && one) {
    console.log(`goals: unchanged ≤ 5% of requests: ${pct(same.requests)}, 0 LLM calls: ${same.llmCalls}; 1% ≤ 7%: ${pct(one.requests)}, LLM calls ${one.llmCalls} for ${one.run.counts.processed} changed records; slots ≥ 75%: ${((first.utilisation ?? 0) * 100).toFixed(0)}%`);
  }
}

try {
  await deletePrefixAt(REDIS_URL, scenario.prefix);
  await Promise.all(Array.from({ length: WORKERS }, () => startWorkerChild(ROOT, 'bench/resync-worker.ts', toEnv(scenario), children)));
  const all: Figures[] = [await sync('first sync', true), await sync('0% changed', false)];
  const repo = gh.repo(REPO);
  let churn = repo.churn({ share: 0.01, seed: 2 });
  all.push(await sync('1% changed', false, churn));
  churn = repo.churn({ share: 0.1, seed: 3 });
  all.push(await sync('10% changed', false, churn));
  print(all);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  await queue.close();
  await sluice.close();
  redis.disconnect();
  await deletePrefixAt(REDIS_URL, scenario.prefix);
  await gh.close();
  await llm.close();
}
