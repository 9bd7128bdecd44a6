import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../src/mock-llm/index.js';

let mock: MockLlm | undefined;
afterEach(() => mock?.close());

describe('mock LLM stats', () => {
  it('counts answers by kind, tokens charged and a per-second histogram of admitted requests', async () => {
    const clock = { now: 50_000 };
    mock = await startMockLlm({ rpm: 2, faithful: false, burst500: 1, now: () => clock.now });
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
    const chat = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count me' }], max_tokens: 20 });
    const settle = (request: Promise<unknown>) => request.then(() => 'ok', (error: unknown) => (error as { status?: number }).status);

    // Second 0: a 500 (admitted, then failed), a success, a 429. Second 1: a 400.
    expect([await settle(chat()), await settle(chat()), await settle(chat())]).toEqual([500, 'ok', 429]);
    clock.now += 1500;
    expect(await settle(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }))).toBe(400);
    // Second 31: rpm 2 has refilled one request (one per 30 s); the embedding model has its own window.
    clock.now += 30_000;
    const embedding = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'one two three' });
    const answer = await chat();
    expect(await settle(chat())).toBe(429);

    const prompt = answer.usage?.prompt_tokens ?? 0;
    const completion = answer.usage?.completion_tokens ?? 0;
    const chatCharge = prompt + 20;
    const embeddingTokens = embedding.usage.prompt_tokens;
    const stats = mock.stats();
    expect(stats).toEqual({
      requests: 7,
      ok: 3,
      rateLimited: 2,
      clientErrors: 1,
      serverErrors: 1,
      tokensCharged: 3 * chatCharge + embeddingTokens,
      promptTokens: 2 * prompt + embeddingTokens,
      completionTokens: 2 * completion,
      perSecond: [
        { second: 0, model: 'gpt-4o-mini', requests: 2, tokens: 2 * chatCharge },
        { second: 31, model: 'gpt-4o-mini', requests: 1, tokens: chatCharge },
        { second: 31, model: 'text-embedding-3-small', requests: 1, tokens: embeddingTokens },
      ],
    });

    const overHttp = await fetch(`${mock.url.replace(/\/v1$/, '')}/_mock/stats`);
    expect(await overHttp.json()).toEqual(stats);
  });

  it('forgets stats and rate-limit usage on reset, keeping the options', async () => {
    mock = await startMockLlm({ rpm: 1, faithful: false });
    const client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
    const chat = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }).withResponse();
    await chat();
    await expect(chat()).rejects.toBeInstanceOf(OpenAI.RateLimitError);

    mock.reset();
    expect(mock.stats()).toEqual({ requests: 0, ok: 0, rateLimited: 0, clientErrors: 0, serverErrors: 0, tokensCharged: 0, promptTokens: 0, completionTokens: 0, perSecond: [] });
    const { response } = await chat();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });
});
