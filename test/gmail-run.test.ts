import { afterEach, describe, expect, it } from 'vitest';
import { createGmailConnector } from '../connectors/gmail/index.js';
import { defineConfig, definePipeline } from '../src/index.js';
import { createSluice, type Sluice } from '../src/runtime/index.js';
import { generateMailbox, startFakeGmail, type FakeGmail } from '../src/testing/gmail-server.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { waitForRun } from './support/wait.js';

const ANN = 'ann@example.com';
let sluice: Sluice | undefined;
let fake: FakeGmail | undefined;
let prefix = '';

afterEach(async () => {
  await sluice?.close();
  await fake?.close();
  sluice = undefined;
  fake = undefined;
  await deletePrefix(prefix);
});

async function start(count: number, attempts = 1) {
  fake = await startFakeGmail({ users: { [ANN]: { messages: generateMailbox({ count }) } } });
  const server = fake;
  prefix = uniquePrefix('gmail-run');
  const gmail = createGmailConnector({ rootUrl: server.url, tokenUrl: server.tokenUrl, pageSize: 10 });
  const pipeline = definePipeline({
    id: 'gmail-messages',
    source: gmail.messages(),
    retries: { attempts, backoffMs: 10 },
    steps: (records) => records.map((m) => ({ subject: m.subject, text: m.text })),
  });
  sluice = createSluice(
    defineConfig({
      prefix,
      pipelines: [pipeline],
      credentials: ({ userId }) => ({ clientId: 'client', clientSecret: 'secret', refreshToken: server.refreshTokenOf(userId) }),
      limits: { 'gmail:user:{userId}': { tpm: 15_000 } },
      progress: { intervalMs: 10 },
    }),
  );
  sluice.startWorker({ concurrency: 2 });
  return { s: sluice, fake: server };
}

describe('Gmail runs', () => {
  it('a 429 mid-run re-queues the shard without using an attempt; nothing is lost', async () => {
    const { s, fake } = await start(30, 1);
    // One attempt only: if a rate limit used it, the run would fail.
    fake.inject({ status: 429, count: 2, method: 'users.messages.get', retryAfterS: 1 });
    const { runId } = await s.startRun('gmail-messages', { userId: ANN });
    const run = await waitForRun(s, ANN, runId);
    expect(run.status).toBe('completed');
    expect(run.counts).toMatchObject({ processed: 30, failed: 0 });
    expect(await s.documents('gmail-messages', ANN)).toHaveLength(30);
    expect(fake.stats.refused.injected).toBe(2);
  });

  it('a revoked grant fails the run at once, with the reason and no retries', async () => {
    const { s, fake } = await start(5, 5);
    fake.revoke(ANN);
    const { runId } = await s.startRun('gmail-messages', { userId: ANN });
    const run = await waitForRun(s, ANN, runId);
    expect(run.status).toBe('failed');
    expect(JSON.stringify(run)).toMatch(/invalid_grant/);
    expect(fake.stats.refused.invalidGrant).toBe(1);
  });

  it('a history id Gmail no longer has falls back to a full listing that deletes what it no longer sees', async () => {
    const { s, fake } = await start(12, 2);
    const first = await s.startRun('gmail-messages', { userId: ANN });
    expect((await waitForRun(s, ANN, first.runId)).status).toBe('completed');
    const [gone, kept] = fake.messageIds(ANN);
    fake.deleteMessage(ANN, gone!);
    fake.forgetHistory(ANN);
    const second = await s.startRun('gmail-messages', { userId: ANN });
    const run = await waitForRun(s, ANN, second.runId);
    expect(run.status).toBe('completed');
    expect(run.counts.deleted).toBe(1);
    const ids = (await s.documents('gmail-messages', ANN)).map((d) => d.sourceId);
    expect(ids).toHaveLength(11);
    expect(ids).not.toContain(gone);
    expect(ids).toContain(kept);
  });

  it('a history replay that sees nothing deleted deletes nothing', async () => {
    const { s } = await start(6, 2);
    const first = await s.startRun('gmail-messages', { userId: ANN });
    await waitForRun(s, ANN, first.runId);
    const second = await s.startRun('gmail-messages', { userId: ANN });
    const run = await waitForRun(s, ANN, second.runId);
    expect(run.status).toBe('completed');
    expect(run.counts.deleted ?? 0).toBe(0);
    expect(await s.documents('gmail-messages', ANN)).toHaveLength(6);
  });
});
