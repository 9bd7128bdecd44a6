import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration, startMockLlm, type MockLlm, type MockLlmOptions } from '../src/mock-llm/index.js';

let mock: MockLlm | undefined;
afterEach(() => mock?.close());

/** A mock on a clock the test moves by hand, so windows refill exactly when the test says. */
async function mockAt(options: MockLlmOptions) {
  const clock = { now: 1_000_000 };
  mock = await startMockLlm({ faithful: false, ...options, now: () => clock.now });
  return { clock, client: new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 }) };
}

const chat = (client: OpenAI, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 10, ...extra }).withResponse();

async function rateLimitError(request: Promise<unknown>): Promise<InstanceType<typeof OpenAI.RateLimitError>> {
  const error = await request.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(OpenAI.RateLimitError);
  return error as InstanceType<typeof OpenAI.RateLimitError>;
}

describe('mock LLM rate limits', () => {
  it('answers the (rpm+1)-th request in the window with 429, OpenAI error body and headers', async () => {
    const { client } = await mockAt({ rpm: 3 });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await chat(client);
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(response.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    const error = await rateLimitError(chat(client));
    expect(error.status).toBe(429);
    expect(error.type).toBe('requests');
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.message).toContain(
      'Rate limit reached for gpt-4o-mini in organization org-sluice-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.',
    );
    // 3 per minute refill one every 20 s; the window is full again a minute after the last charge.
    expect(Object.fromEntries([...error.headers.entries()].filter(([name]) => name.startsWith('retry-after') || name.startsWith('x-ratelimit')))).toEqual({
      'retry-after': '20',
      'retry-after-ms': '20000',
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1m0s',
    });
  });

  it('limits on the real clock too: the 4th immediate request of rpm 3 waits at most 20 s', async () => {
    mock = await startMockLlm({ rpm: 3, faithful: false });
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
    for (let i = 0; i < 3; i++) await chat(client);
    const error = await rateLimitError(chat(client));
    const waitMs = Number(error.headers.get('retry-after-ms'));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(20_000);
    expect(error.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(error.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|[\d.]+s|1m0s)$/);
  });

  it('refills continuously: after retry-after-ms one more request is admitted, not a whole new minute', async () => {
    const { clock, client } = await mockAt({ rpm: 3 });
    for (let i = 0; i < 3; i++) await chat(client);
    const error = await rateLimitError(chat(client));

    clock.now += Number(error.headers.get('retry-after-ms')) - 1;
    await rateLimitError(chat(client));
    clock.now += 1;
    const { response } = await chat(client);
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    await rateLimitError(chat(client));
  });

  it('charges prompt tokens + max_tokens against tpm and answers 429 of type tokens past it', async () => {
    const { client } = await mockAt({ tpm: 100 });
    const { data, response } = await chat(client, { max_tokens: 30 });
    const charge = (data.usage?.prompt_tokens ?? 0) + 30;
    expect(response.headers.get('x-ratelimit-limit-tokens')).toBe('100');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100 - charge));
    expect(response.headers.get('x-ratelimit-limit-requests')).toBeNull();

    await chat(client, { max_tokens: 30 });
    const used = 2 * charge;
    const error = await rateLimitError(chat(client, { max_tokens: 30 }));
    const waitMs = Math.ceil(((used + charge - 100) * 60_000) / 100);
    expect(error.type).toBe('tokens');
    expect(error.message).toContain(`on tokens per min (TPM): Limit 100, Used ${used}, Requested ${charge}. Please try again in ${formatDuration(waitMs)}.`);
    expect(error.headers.get('retry-after-ms')).toBe(String(waitMs));
    expect(error.headers.get('retry-after')).toBe(String(Math.ceil(waitMs / 1000)));
    expect(error.headers.get('x-ratelimit-remaining-tokens')).toBe(String(100 - used));
    expect(error.headers.get('x-ratelimit-reset-tokens')).toBe(formatDuration((used * 60_000) / 100));
  });

  it('charges defaultMaxTokens when a request sets no max_tokens', async () => {
    const { client } = await mockAt({ tpm: 10_000, defaultMaxTokens: 500 });
    const { data, response } = await chat(client, { max_tokens: null });
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(10_000 - (data.usage?.prompt_tokens ?? 0) - 500));
  });

  it('refuses a request larger than tpm with no retry-after, since waiting cannot help', async () => {
    const { client } = await mockAt({ tpm: 100 });
    const error = await rateLimitError(chat(client, { max_tokens: 500 }));
    expect(error.type).toBe('tokens');
    expect(error.message).toMatch(/Request too large for gpt-4o-mini .* on tokens per min \(TPM\): Limit 100, Requested \d+\./);
    expect(error.headers.get('retry-after')).toBeNull();
    expect(error.headers.get('x-ratelimit-remaining-tokens')).toBe('100');
  });

  it('keeps a window per model, and sends no rate-limit headers when no limit is set', async () => {
    const { client } = await mockAt({ rpm: 1 });
    await chat(client);
    await rateLimitError(chat(client));
    const other = await chat(client, { model: 'gpt-4o' });
    expect(other.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');

    mock?.setOptions({ rpm: undefined });
    const unlimited = await chat(client);
    expect([...unlimited.response.headers.keys()].filter((name) => name.startsWith('x-ratelimit'))).toEqual([]);
  });

  it('formats durations the way OpenAI headers do', () => {
    expect([0, 120, 999.2, 1000, 9816, 20_000, 360_000, 3_723_500].map(formatDuration)).toEqual([
      '0ms',
      '120ms',
      '1s', // rounded up: a client waiting this long must be let in
      '1s',
      '9.816s',
      '20s',
      '6m0s',
      '1h2m3.5s',
    ]);
  });
});

describe('mock LLM rate limits, faithful to OpenAI (the default)', () => {
  const faithful = async (options: MockLlmOptions) => {
    const clock = { now: 1_000_000 };
    mock = await startMockLlm({ ...options, now: () => clock.now });
    return { clock, client: new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 }) };
  };

  it("holds one second's share of the per-minute limit, not a minute's burst", async () => {
    const { clock, client } = await faithful({ rpm: 600 });
    for (let i = 0; i < 10; i++) await chat(client);
    const error = await rateLimitError(chat(client));
    expect(error.type).toBe('requests');
    // Headers speak per minute: 11 used of 600 (the refused one too), the window full again 1.1 s after.
    expect(error.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('589');
    expect(error.headers.get('x-ratelimit-reset-requests')).toBe('1.1s');
    expect(error.headers.get('retry-after-ms')).toBe('100');
    // The refused request counted against RPM: 100 ms later the bucket is still one short.
    clock.now += 100;
    await rateLimitError(chat(client));
    clock.now += 300;
    const { response } = await chat(client);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+ms$|^1s$/);
  });

  it('charges prompt + max_tokens at admission against a one-second token bucket', async () => {
    const { clock, client } = await faithful({ tpm: 6000 }); // 100 tokens a second
    const { data, response } = await chat(client, { max_tokens: 60 });
    const charge = (data.usage?.prompt_tokens ?? 0) + 60;
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe(String(6000 - charge));
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe(formatDuration((charge * 60_000) / 6000));
    const error = await rateLimitError(chat(client, { max_tokens: 60 }));
    expect(error.type).toBe('tokens');
    clock.now += Number(error.headers.get('retry-after-ms'));
    await chat(client, { max_tokens: 60 });
    expect(mock!.stats().tokensCharged).toBe(2 * charge);
  });

  it('enforces a share of what its headers claim, as on a key another app uses', async () => {
    const { client } = await faithful({ rpm: 1200, enforcedShare: 0.5 }); // 10 a second really
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      const ok = await chat(client).then(() => true, () => false);
      if (ok) admitted += 1;
    }
    expect(admitted).toBe(10);
    const error = await rateLimitError(chat(client));
    expect(error.headers.get('x-ratelimit-limit-requests')).toBe('1200');
    expect(Number(error.headers.get('x-ratelimit-remaining-requests'))).toBeLessThan(600 - 10);
  });
});
