/**
 * `npm run demo`: ingests this repository for three users at once, and a fourth user's Gmail
 * mailbox from a local fake Gmail server, through two worker processes, with live progress, then
 * shows where the context landed. No credentials, no network.
 * With GITHUB_TOKEN set, one more user ingests a real GitHub repository (DEMO_GITHUB_REPO).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createSluice, loadConfig } from '../src/runtime/index.js';
import { bundledWidgetScript, createProgressServer, createProgressToken } from '../src/server/index.js';
import { generateMailbox, startFakeGmail, startMockLlm, type FakeGmail } from '../src/testing/index.js';
import { followRuns } from '../src/cli/follow.js';
import { createKeys } from '../src/store/keys.js';
import { redisForDemo } from './redis-for-demo.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const PREFIX = 'sluice-demo';
const USERS = ['alice', 'bob', 'carol'];
const OUTPUT = join(ROOT, '.sluice', 'demo');
// The board is the demo's output: structured logs only for warnings and errors, unless asked.
process.env.SLUICE_LOG_LEVEL ||= 'warn';

const MOCK_RPM = 5_000;
const MOCK_TPM = 1_200_000;
/** The Gmail user: sluice.config.ts gives the fake's refresh token to this user only. */
const GMAIL_USER = 'dana';
const GMAIL_MAILBOX = 'dana@example.com';
/** 240 messages in threads of 4: 60 threads, each summarised, mined for people and commitments, embedded. */
const GMAIL_MESSAGES = 240;

async function main(): Promise<void> {
  const redis = await redisForDemo();
  console.log(`Redis: ${redis.url}${redis.started ? ' (started for this demo; it stops when the demo ends)' : ''}`);
  // Without an OpenAI key the LLM step talks to the local mock, which enforces real rate limits:
  // a budget the three users' runs outgrow for a few seconds, so the shared limiter paces them.
  const mock = process.env.OPENAI_API_KEY ? undefined : await startMockLlm({ rpm: MOCK_RPM, tpm: MOCK_TPM, latencyMs: { min: 40, max: 160 } });
  if (mock) console.log(`LLM: sluice mock-llm at ${mock.url}, ${MOCK_RPM} requests and ${MOCK_TPM} tokens a minute (set OPENAI_API_KEY to use OpenAI)`);
  const llmEnv = mock ? { OPENAI_BASE_URL: mock.url, OPENAI_API_KEY: 'mock-key' } : {};
  // The same mailbox every time (seeded history ids), so a second demo replays its history and reads nothing.
  const gmail = await startFakeGmail({ users: { [GMAIL_MAILBOX]: { messages: generateMailbox({ count: GMAIL_MESSAGES, threadSize: 4 }) } }, latencyMs: 20, seed: 1 });
  console.log(`Gmail: sluice fake Gmail at ${gmail.url}, ${GMAIL_MESSAGES} messages for "${GMAIL_USER}", 15,000 quota units a minute`);
  const gmailEnv = { GMAIL_API_URL: gmail.url, GMAIL_TOKEN_URL: gmail.tokenUrl, DEMO_GMAIL_REFRESH_TOKEN: gmail.refreshTokenOf(GMAIL_MAILBOX) };
  Object.assign(process.env, llmEnv, gmailEnv);
  const env = { ...process.env, REDIS_URL: redis.url, SLUICE_PREFIX: PREFIX };
  const { config } = await loadConfig(join(ROOT, 'sluice.config.ts')).catch(async (error: unknown) => {
    await gmail.close();
    await mock?.close();
    await redis.stop();
    throw error;
  });
  const workers = [startWorker(env), startWorker(env)];
  const sluice = createSluice({ ...config, redis: redis.url, prefix: PREFIX });
  const keys = createKeys(PREFIX);
  let closeServer: (() => Promise<void>) | undefined;
  try {
    await Promise.all(workers.map((w) => w.ready));
    console.log(`2 workers ready (pids ${workers.map((w) => w.child.pid).join(', ')})`);
    const secret = randomBytes(16).toString('hex');
    const server = createProgressServer({ sluice, secret, widgetScript: bundledWidgetScript() });
    const listening = await server.listen(Number(process.env.DEMO_PORT ?? 0));
    closeServer = () => listening.close();
    const pairs = [...USERS, GMAIL_USER].map((userId) => `user=${userId}&token=${createProgressToken({ userId, secret, ttlSeconds: 3600 })}`);
    console.log(`Watch it live in a browser: ${listening.url}/?${pairs.join('&')}\n`);

    const runs = await Promise.all(USERS.map((userId) => sluice.startRun('demo-files', { userId, input: { root: ROOT } })));
    runs.push(await sluice.startRun('gmail-onboarding', { userId: GMAIL_USER }));
    const users = [...USERS, GMAIL_USER];
    if (process.env.GITHUB_TOKEN) {
      const repo = process.env.DEMO_GITHUB_REPO ?? 'taskforcesh/bullmq';
      console.log(`GITHUB_TOKEN is set: user "github-you" also ingests ${repo}`);
      runs.push(await sluice.startRun('github-onboarding', { userId: 'github-you', input: { repos: [repo] } }));
      users.push('github-you');
    }
    const finals = await followRuns(sluice, users, runs.map((r) => r.runId));

    console.log('\nContext landed in Redis:');
    await mkdir(OUTPUT, { recursive: true });
    for (const run of finals) {
      const docs = await sluice.documents(run.pipeline, run.userId);
      const file = join(OUTPUT, `${run.userId}.jsonl`);
      await writeFile(file, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
      console.log(`  ${run.userId.padEnd(10)} ${String(docs.length).padStart(5)} documents  HGETALL ${keys.sink(run.pipeline, run.userId).documents}`);
      console.log(`  ${''.padEnd(10)} ${''.padStart(5)}            copy: ${file}`);
    }
    const sample = (await sluice.documents<{ path: string; passage: string; words: number; fileSummary: string }>('demo-files', USERS[0]!)).find(
      (d) => d.value.path === 'README.md',
    );
    if (sample) {
      console.log(`\nA document: ${sample.id} -> passage ${sample.value.passage} of ${sample.value.path}, ${sample.value.words} words`);
      console.log(`  file summary: ${sample.value.fileSummary}`);
    }
    await showMail(sluice, gmail);
    for (const run of finals) {
      if (run.usage) console.log(`  ${run.userId}: ${run.usage.promptTokens} prompt + ${run.usage.completionTokens} completion tokens, ~$${run.usage.costUsd.toFixed(4)}`);
    }
    const stats = mock?.stats();
    if (stats && stats.requests > 0) {
      const perSecond = new Map<number, number>();
      // The mock's limits are per model: the chat model's seconds (the Gmail user's embeddings have their own).
      for (const bucket of stats.perSecond) {
        if (bucket.model === 'gpt-4o-mini') perSecond.set(bucket.second, (perSecond.get(bucket.second) ?? 0) + bucket.tokens);
      }
      const busiest = Math.max(...perSecond.values());
      console.log(
        `\nThe mock LLM answered ${stats.ok} of ${stats.requests} requests, ${stats.rateLimited} rate-limited; its busiest second ` +
          `took ${(busiest / 1000).toFixed(1)}k gpt-4o-mini tokens of the ${MOCK_TPM / 60_000}k it allows: the workers share one limiter.`,
      );
    }
    console.log(
      `\nRun the demo again: unchanged files are skipped and ${GMAIL_USER}'s mailbox is replayed from Gmail's history ` +
        `(2 quota units), nothing is rewritten.` +
        `\nInspect: REDIS_URL=${redis.url} SLUICE_PREFIX=${PREFIX} npx tsx src/cli/bin.ts status --user alice`,
    );
    if (finals.some((r) => r.status === 'failed')) process.exitCode = 1;
    if (process.stdout.isTTY && !process.env.CI) {
      console.log('\nThe progress page stays up until Ctrl-C.');
      await new Promise((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    await closeServer?.();
    await sluice.close();
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await mock?.close();
    await gmail.close();
    await redis.stop();
  }
}

/** A thread as it landed, and what reading the mailbox cost against the user's Gmail quota. */
async function showMail(sluice: ReturnType<typeof createSluice>, gmail: FakeGmail): Promise<void> {
  const docs = await sluice.documents<{ subject: string; participants: string[]; summary: string; embedding: number[] }>('gmail-onboarding', GMAIL_USER);
  const units = Object.values(gmail.stats.unitsPerMinute[GMAIL_MAILBOX] ?? {}).reduce((a, b) => a + b, 0);
  const calls = Object.values(gmail.stats.calls).reduce((a, b) => a + b, 0);
  const refused = Object.values(gmail.stats.refused).reduce((a, b) => a + b, 0);
  console.log(`\n${GMAIL_USER}'s mailbox: ${calls} Gmail API calls, ${units} quota units (peak ${gmail.peakUnitsPerMinute(GMAIL_MAILBOX)} in a minute of the 15,000 allowed), ${refused} refused`);
  const sample = docs[0];
  if (sample) {
    console.log(`A thread: ${sample.value.subject} (${sample.value.participants.join(', ')}), ${sample.value.embedding.length}-dimension embedding`);
    console.log(`  summary: ${sample.value.summary}`);
  }
}

function startWorker(env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/bin.ts'), 'worker', '--config', join(ROOT, 'sluice.config.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const ready = new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sluice worker ready')) resolve();
    });
    exited.then(() => reject(new Error(`worker exited before it was ready:\n${output}`)));
  });
  return { child, ready, exited };
}

main().catch((error: unknown) => {
  console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
