import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorParamsError, SourceAuthError, SourceError, SourceRateLimitError, unlimitedSource, type Page, type ReadContext, type SourceLimiter, type StreamDefinition } from '../src/connector/index.js';
import { createLimiter, LimiterWaitError } from '../src/limiter/index.js';
import { createSourceLimiter } from '../src/runtime/source-limiter.js';
import { createKeys } from '../src/store/keys.js';
import { generateMailbox, startFakeGmail, type FakeGmail, type FakeGmailOptions } from '../src/testing/gmail-server.js';
import { createGmailConnector, type GmailConnectorOptions, type GmailMessage } from '../connectors/gmail/index.js';
import { MemoryState, readAll, recordsOf } from '../connectors/github/fixtures/harness.js';
import { deletePrefix, uniquePrefix } from './support/redis.js';
import { withSilentServer } from './support/silent-server.js';

const ANN = 'ann@example.com';
const BOB = 'bob@example.com';
let fake: FakeGmail | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: FakeGmailOptions, connector: GmailConnectorOptions = {}) {
  fake = await startFakeGmail(options);
  const gmail = createGmailConnector({ rootUrl: fake.url, tokenUrl: fake.tokenUrl, ...connector });
  return { fake, gmail };
}

function context<P>(server: FakeGmail, email: string, params: P, extra: Partial<ReadContext<P>> = {}): ReadContext<P> {
  return {
    userId: email,
    params,
    input: {},
    credentials: async () => ({ clientId: 'client', clientSecret: 'secret', refreshToken: server.refreshTokenOf(email) }),
    limiter: unlimitedSource,
    state: new MemoryState(),
    ...extra,
  };
}

const since = (pages: Page<unknown>[]) => pages.map((p) => p.watermark).filter(Boolean).sort((a, b) => Number(a) - Number(b)).at(-1);
const units = (server: FakeGmail, email: string) => Object.values(server.stats.unitsPerMinute[email] ?? {}).reduce((a, b) => a + b, 0);

describe('gmail.messages first sync', () => {
  it('records the history id first, lists newest first and fetches within the concurrency bound', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 30 }) } }, latencyMs: 5 }, { pageSize: 10, concurrency: 4 });
    const historyAtStart = fake.historyId(ANN);
    const pages = await readAll(gmail.streams.messages, context(fake, ANN, {}));
    const records = recordsOf(pages);
    // generateMailbox: one in three is SENT only, which has no INBOX but is in scope without labelIds.
    expect(records.map((r) => r.id)).toEqual(fake.messageIds(ANN));
    expect(pages.every((p) => p.watermark === String(historyAtStart))).toBe(true);
    const first = records[0]!.data;
    expect(first.subject).toBe('roadmap #29');
    expect(first.text).toContain('Message 29 about the roadmap.');
    expect(first.from).toEqual({ name: 'Bob Stone', address: 'bob@example.com' });
    expect(fake.stats.peakConcurrent[ANN]).toBeLessThanOrEqual(4);
    // getProfile 1 + 3 listings × 5 + 30 messages × 5
    expect(units(fake, ANN)).toBe(1 + 15 + 150);
  });

  it('filters by label and leaves spam and trash out', async () => {
    const messages = [
      { subject: 'inbox', labelIds: ['INBOX'] },
      { subject: 'spam', labelIds: ['SPAM'] },
      { subject: 'trash', labelIds: ['TRASH', 'INBOX'] },
      { subject: 'sent', labelIds: ['SENT'] },
    ];
    const { fake, gmail } = await setup({ users: { [ANN]: { messages } } });
    const inbox = recordsOf(await readAll(gmail.streams.messages, context(fake, ANN, { labelIds: ['INBOX'] })));
    expect(inbox.map((r) => r.data.subject)).toEqual(['inbox']);
    const all = recordsOf(await readAll(gmail.streams.messages, context(fake, ANN, { includeSpamTrash: true })));
    expect(all.map((r) => r.data.subject).sort()).toEqual(['inbox', 'sent', 'spam', 'trash']);
  });

  it('a hostile message fails alone, with its reason', async () => {
    const msg = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512, 1)]);
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: [{ subject: 'fine', text: 'ok' }, { raw: msg }, { subject: 'also fine' }] } } });
    const pages = await readAll(gmail.streams.messages, context(fake, ANN, {}));
    expect(recordsOf(pages).map((r) => r.data.subject)).toEqual(['also fine', 'fine']);
    const failures = pages.flatMap((p) => p.failures ?? []);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.reason).toMatch(/Outlook \.msg/);
  });
});

describe('gmail.messages re-sync through history', () => {
  it('added, deleted and relabelled messages are reflected; an unchanged re-sync costs one history call', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 6, labels: [['INBOX']] }) } } });
    const stream = gmail.streams.messages;
    const params = { labelIds: ['INBOX'] };
    const first = await readAll(stream, context(fake, ANN, params));
    const [newest, second, third] = fake.messageIds(ANN);

    const added = fake.addMessage(ANN, { subject: 'new mail', text: 'hello', labelIds: ['INBOX'] });
    fake.deleteMessage(ANN, newest!);
    fake.relabel(ANN, second!, { remove: ['INBOX'] });
    fake.relabel(ANN, third!, { add: ['STARRED'] });
    const before = units(fake, ANN);
    const resync = await readAll(stream, context(fake, ANN, params, { since: since(first) }));
    expect(recordsOf(resync).map((r) => r.id).sort()).toEqual([added, third].sort());
    expect(recordsOf(resync).find((r) => r.id === third)!.data.labelIds).toContain('STARRED');
    expect(resync.flatMap((p) => p.deleted ?? []).sort()).toEqual([newest, second].sort());
    expect(Number(since(resync))).toBe(fake.historyId(ANN));
    // history.list 2 + three messages fetched × 5
    expect(units(fake, ANN) - before).toBe(2 + 15);

    const quiet = units(fake, ANN);
    const unchanged = await readAll(stream, context(fake, ANN, params, { since: since(resync) }));
    expect(recordsOf(unchanged)).toEqual([]);
    expect(unchanged.flatMap((p) => p.deleted ?? [])).toEqual([]);
    expect(units(fake, ANN) - quiet).toBe(2);
  });

  it('a history id Gmail no longer keeps falls back to a full listing', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 4 }) } } });
    const first = await readAll(gmail.streams.messages, context(fake, ANN, {}));
    fake.addMessage(ANN, { subject: 'after' });
    fake.forgetHistory(ANN);
    const pages = await readAll(gmail.streams.messages, context(fake, ANN, {}, { since: since(first) }));
    expect(recordsOf(pages)).toHaveLength(5);
    expect(fake.stats.calls['users.history.list']).toBe(1);
    expect(Number(since(pages))).toBe(fake.historyId(ANN));
  });
});

describe('gmail auth', () => {
  it('an access token that expires mid-sync is refreshed once and the read goes on', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 12 }) } } }, { pageSize: 4 });
    const stream = gmail.streams.messages;
    const ctx = context(fake, ANN, {});
    const page1 = await stream.read(ctx, undefined);
    fake.expireTokens(ANN);
    let cursor = page1.nextCursor;
    const records = [...page1.records];
    while (cursor) {
      const page: Page<GmailMessage> = await stream.read(ctx, cursor);
      records.push(...page.records);
      cursor = page.nextCursor;
    }
    expect(new Set(records.map((r) => r.id)).size).toBe(12);
    expect(fake.stats.tokenRefreshes).toBe(2);
    expect(fake.stats.refused.invalidGrant).toBeUndefined();
  });

  it('an access token from the provider is renewed through credentials({ refresh: true })', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 3 }) } } });
    const stale = fake.issueToken(ANN, -1).accessToken;
    const asked: boolean[] = [];
    const ctx = context(fake, ANN, {}, {
      credentials: async (o?: { refresh?: boolean }) => {
        asked.push(o?.refresh ?? false);
        return { token: o?.refresh ? fake.issueToken(ANN).accessToken : stale };
      },
    });
    expect(recordsOf(await readAll(gmail.streams.messages, ctx))).toHaveLength(3);
    expect(asked).toEqual([false, true]);
  });

  it('a revoked grant fails at once as an auth error, without retries', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 3 }) } } });
    fake.revoke(ANN);
    const error = await gmail.streams.messages.read(context(fake, ANN, {}), undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceAuthError);
    expect((error as SourceAuthError).kind).toBe('run-fatal');
    expect((error as Error).message).toMatch(/revoked.*invalid_grant.*connect Gmail again/);
    expect(fake.stats.refused.invalidGrant).toBe(1);
    expect(Object.values(fake.stats.calls).reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe('gmail quota', () => {
  it.each([429, 403] as const)('a spent per-user budget (%i) re-queues for the time asked, keeping the finished work', async (quotaStatus) => {
    // The fake's minute window starts at the next real minute: Gmail's "Retry after" lies 60-120 s ahead.
    let now = Math.ceil(Date.now() / 60_000) * 60_000;
    // getProfile 1 + list 5 + 4 messages × 5 = 26: the fifth message does not fit this minute.
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 8 }) } }, unitsPerMinute: 26, quotaStatus, now: () => now }, { pageSize: 8, concurrency: 1 });
    const stream = gmail.streams.messages;
    const ctx = context(fake, ANN, {});
    const page1 = await stream.read(ctx, undefined);
    expect(page1.records).toHaveLength(4);
    expect(JSON.parse(page1.nextCursor!).ids).toHaveLength(4);
    const error = await stream.read(ctx, page1.nextCursor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceRateLimitError);
    expect((error as SourceRateLimitError).kind).toBe('retry-later');
    expect((error as SourceRateLimitError).retryAfterMs).toBeGreaterThan(59_000);
    expect((error as SourceRateLimitError).retryAfterMs).toBeLessThanOrEqual(120_000);
    expect((error as Error).message).toContain(quotaStatus === 429 ? 'rateLimitExceeded' : 'userRateLimitExceeded');
    now += 60_000; // the runtime waits retryAfterMs; the fake's clock stands in for it
    const page2 = await stream.read(ctx, page1.nextCursor);
    const ids = [...page1.records, ...page2.records].map((r) => r.id);
    expect(ids).toEqual(fake.messageIds(ANN));
    expect(page2.nextCursor).toBeUndefined();
  });

  it('a wait asked by the shared limiter mid-page also keeps the messages already fetched', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 6 }) } } }, { pageSize: 6, concurrency: 1 });
    let budget = 2 + 3; // getProfile, messages.list, then three messages
    const limiter: SourceLimiter = {
      take: async (key) => {
        if (key.startsWith('gmail:user') && budget-- <= 0) throw new LimiterWaitError('gmail:user:ann', 500, 'rate');
      },
    };
    const ctx = context(fake, ANN, {}, { limiter });
    const page1 = await gmail.streams.messages.read(ctx, undefined);
    expect(page1.records).toHaveLength(3);
    await expect(gmail.streams.messages.read(ctx, page1.nextCursor)).rejects.toBeInstanceOf(LimiterWaitError);
    budget = 100;
    const page2 = await gmail.streams.messages.read(ctx, page1.nextCursor);
    expect([...page1.records, ...page2.records].map((r) => r.id)).toEqual(fake.messageIds(ANN));
  });

  it('one user never has more requests in flight than the bound, across concurrent reads', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 40 }) } }, latencyMs: 10, maxConcurrentPerUser: 5 }, { pageSize: 20, concurrency: 5 });
    const stream = gmail.streams.messages;
    const ctx = context(fake, ANN, {});
    const page1 = await stream.read(ctx, undefined);
    // Two shards of one user at once: the per-user gate, not each read, holds the bound.
    const [a, b] = await Promise.all([stream.read(ctx, page1.nextCursor), stream.read(ctx, page1.nextCursor)]);
    expect(a.records).toHaveLength(20);
    expect(b.records).toHaveLength(20);
    expect(fake.stats.peakConcurrent[ANN]).toBe(5);
    expect(fake.stats.refused.concurrent).toBeUndefined();
  });
});

describe('gmail server errors', () => {
  it('a 5xx fails the read as a retryable source error naming the call', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 2 }) } } });
    fake.inject({ status: 503, method: 'users.messages.list' });
    const error = await gmail.streams.messages.read(context(fake, ANN, {}), undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).not.toBeInstanceOf(SourceRateLimitError);
    expect((error as SourceError).kind).toBe('retry');
    expect((error as Error).message).toBe('Gmail users.messages.list failed (503): Backend Error');
  });
});

describe('gmail deadlines', () => {
  it('a Gmail request that does not answer in time fails with "timed out", a retryable source error', async () => {
    // Gmail itself never answers; tokens still come from the fake.
    const server = await startFakeGmail({ users: { [ANN]: { messages: generateMailbox({ count: 1 }) } } });
    fake = server;
    const error = await withSilentServer(async (url) => {
      const gmail = createGmailConnector({ rootUrl: `${url}/`, tokenUrl: server.tokenUrl, requestTimeoutMs: 200 });
      return gmail.streams.messages.read(context(server, ANN, {}), undefined).catch((e: unknown) => e);
    });
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).kind).toBe('retry');
    expect((error as Error).message).toBe('Gmail users.getProfile timed out after 0.2 s');
  });

  it('refuses a deadline that is not a positive integer', () => {
    expect(() => createGmailConnector({ requestTimeoutMs: 0 })).toThrow(/requestTimeoutMs must be a positive integer/);
  });
});

describe('gmail quota shared through Redis', () => {
  let redis: Redis;
  const prefix = uniquePrefix('gmail');
  beforeAll(() => {
    redis = new Redis();
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('two users syncing at once never exceed either user\'s units per minute, counted at the server', async () => {
    // The fake's minute lasts one real second, so the test spans several windows quickly.
    const start = Date.now();
    const perWindow = 100;
    const { fake, gmail } = await setup(
      { users: { [ANN]: { messages: generateMailbox({ count: 40 }) }, [BOB]: { messages: generateMailbox({ count: 40 }) } }, unitsPerMinute: perWindow, now: () => start + (Date.now() - start) * 60 },
      { pageSize: 20 },
    );
    // Budget a little under the quota: a token bucket's burst must fit in the server's fixed window.
    const limiter = createLimiter(redis, createKeys(prefix), { 'gmail:user:{userId}': { tpm: perWindow * 60 * 0.85 } });
    const read = (email: string, sourceLimiter: SourceLimiter) => readAll(gmail.streams.messages, context(fake, email, {}, { limiter: sourceLimiter }));
    const [ann, bob] = await Promise.all([read(ANN, createSourceLimiter(limiter, ANN)), read(BOB, createSourceLimiter(limiter, BOB))]);
    expect(recordsOf(ann)).toHaveLength(40);
    expect(recordsOf(bob)).toHaveLength(40);
    expect(fake.peakUnitsPerMinute(ANN)).toBeLessThanOrEqual(perWindow);
    expect(fake.peakUnitsPerMinute(BOB)).toBeLessThanOrEqual(perWindow);
    expect(fake.stats.refused.rateLimitExceeded).toBeUndefined();
    expect(units(fake, ANN)).toBe(1 + 10 + 200);
  });
});

describe('gmail.threads', () => {
  it('a thread is one record, its messages oldest first; history re-reads touched threads', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: generateMailbox({ count: 6, threadSize: 3, labels: [['INBOX']] }) } } });
    const stream: StreamDefinition<unknown, object> = gmail.streams.threads as never;
    const first = await readAll(stream, context(fake, ANN, {}));
    const threads = recordsOf(first) as { data: { id: string; messages: GmailMessage[] } }[];
    expect(threads.map((t) => t.data.id)).toEqual(['thread-1', 'thread-0']);
    expect(threads[1]!.data.messages.map((m) => m.subject)).toEqual(['launch plan #0', 'Re: launch plan #0', 'Re: launch plan #0']);

    fake.addMessage(ANN, { subject: 'Re: launch plan #0', text: 'late reply', threadId: 'thread-0' });
    const resync = await readAll(stream, context(fake, ANN, {}, { since: since(first) }));
    const changed = recordsOf(resync) as { data: { id: string; messages: GmailMessage[] } }[];
    expect(changed.map((t) => t.data.id)).toEqual(['thread-0']);
    expect(changed[0]!.data.messages.at(-1)!.text).toBe('late reply');
  });
});

describe('gmail attachments param', () => {
  const raw = readFileSync(new URL('../connectors/gmail/fixtures/attachments.eml', import.meta.url));

  it('messages and threads carry content only when asked, from the raw fetch; the hash follows the content', async () => {
    const { fake, gmail } = await setup({ users: { [ANN]: { messages: [{ raw }] } } });
    const plain = recordsOf(await readAll(gmail.streams.messages, context(fake, ANN, {})));
    expect(plain[0]!.data.attachments.map((a) => Object.keys(a).sort())).toEqual([['filename', 'mimeType', 'size'], ['filename', 'mimeType', 'size']]);
    const before = units(fake, ANN);
    const asked = recordsOf(await readAll(gmail.streams.messages, context(fake, ANN, { attachments: { download: true as const } })));
    expect(units(fake, ANN) - before).toBe(before);
    expect(asked[0]!.data.attachments.map((a) => [a.text, a.contentBase64])).toEqual([
      ['name,city\nRenée,Paris\nBob,Zürich\n', undefined],
      [undefined, 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ/wD+'],
    ]);
    expect(asked[0]!.hash).not.toBe(plain[0]!.hash);
    const filtered = recordsOf(await readAll(gmail.streams.messages, context(fake, ANN, { attachments: { download: true as const, types: ['text/'] } })));
    expect(filtered[0]!.data.attachments.map((a) => a.skipped)).toEqual([undefined, 'type not requested']);
    expect(new Set([plain[0]!.hash, asked[0]!.hash, filtered[0]!.hash]).size).toBe(3);

    const threads = recordsOf(await readAll(gmail.streams.threads, context(fake, ANN, { attachments: { download: true as const, maxBytes: 35 } })));
    expect(threads[0]!.data.messages[0]!.attachments.map((a) => a.skipped ?? a.text)).toEqual(['name,city\nRenée,Paris\nBob,Zürich\n', 'too large']);
  });

  it('a bad value is refused, naming it', () => {
    const gmail = createGmailConnector();
    expect(() => gmail.messages({ attachments: { download: true, maxBytes: -1 } })).toThrow(ConnectorParamsError);
    expect(() => gmail.threads({ attachments: { download: true, types: [''] } })).toThrow(/attachments\.types/);
    expect(() => gmail.messages({ attachments: { download: false } } as never)).toThrow(/attachments\.download/);
    expect(() => gmail.messages({ attachments: { download: true, maxbytes: 10 } } as never)).toThrow(/maxbytes/);
  });
});
