import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failsAt, latencyFor } from '../src/mock-llm/faults.js';
import { startMockLlm, type MockLlm } from '../src/mock-llm/index.js';

let mock: MockLlm;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockLlm();
  client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
});
afterEach(() => mock.close());

const chat = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 10 });
const embed = () => client.embeddings.create({ model: 'text-embedding-3-small', input: 'Hello' });
const statusOf = (request: Promise<unknown>) => request.then(() => 200, (error: unknown) => (error instanceof OpenAI.APIError ? error.status : -1));
const admin = (path: string, body?: unknown) =>
  fetch(`${mock.url.replace(/\/v1$/, '')}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

describe('mock LLM fault injection', () => {
  it('answers every API request 503 during an outage, until the admin API lifts it', async () => {
    mock.setOptions({ outage: true });
    expect(await Promise.all([statusOf(chat()), statusOf(embed()), statusOf(client.models.list())])).toEqual([503, 503, 503]);
    const error = await chat().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ type: 'server_error' });

    const lifted = await admin('/_mock/options', { outage: false });
    expect(await lifted.json()).toMatchObject({ outage: false });
    expect(await Promise.all([statusOf(chat()), statusOf(embed())])).toEqual([200, 200]);
    expect(mock.stats()).toMatchObject({ requests: 6, serverErrors: 4, ok: 2 });
  });

  it('answers the next burst500 requests 500, then recovers', async () => {
    mock.setOptions({ burst500: 2 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await statusOf(i % 2 ? embed() : chat()));
    expect(statuses).toEqual([500, 500, 200, 200]);
    expect(mock.setOptions({})).toMatchObject({ burst500: 0 });
  });

  it('fails an evenly spread share of requests at failRate', async () => {
    mock.setOptions({ failRate: 0.25 });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await statusOf(chat()));
    expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
  });

  it('derives failRate and latency from the request number alone', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => failsAt(n, 0.5))).toEqual([false, true, false, true, false, true]);
    expect([1, 2, 3].map((n) => failsAt(n, 1))).toEqual([true, true, true]);
    expect(latencyFor(7, 40)).toBe(40);
    const spread = Array.from({ length: 200 }, (_, n) => latencyFor(n + 1, { min: 10, max: 20 }));
    expect(spread).toEqual(Array.from({ length: 200 }, (_, n) => latencyFor(n + 1, { min: 10, max: 20 })));
    expect(Math.min(...spread)).toBe(10);
    expect(Math.max(...spread)).toBe(20);
  });

  it('cuts a pending latency short on close, so close() never waits for a slow answer', async () => {
    mock.setOptions({ latencyMs: 600_000 });
    const pending = statusOf(chat());
    await vi.waitFor(() => expect(mock.stats().perSecond).toHaveLength(1));
    await mock.close();
    expect(await pending).toBe(200);
  });

  it('requires the configured API key with OpenAI 401s', async () => {
    mock.setOptions({ requireApiKey: 'sk-right-key-1234' });
    const wrong = await chat().catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(wrong).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect((wrong as Error).message).not.toContain('test');

    const missing = await fetch(`${mock.url}/models`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { message: expect.stringContaining("You didn't provide an API key") } });

    client = new OpenAI({ baseURL: mock.url, apiKey: 'sk-right-key-1234', maxRetries: 0 });
    expect(await statusOf(chat())).toBe(200);
  });

  it('answers malformed requests with 400s naming the parameter', async () => {
    const badJson = await fetch(`${mock.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('could not parse the JSON body') } });

    const noMessages = await client.chat.completions.create({ model: 'gpt-4o-mini' } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming).catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(OpenAI.BadRequestError);
    expect(noMessages).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });

    const badRole = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'hi' }] } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(badRole).toMatchObject({ status: 400, param: 'messages[0].role' });

    const badType = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 'ten' as unknown as number }).catch((e: unknown) => e);
    expect(badType).toMatchObject({ status: 400, param: 'max_tokens', code: 'invalid_type' });

    const noModel = await client.embeddings.create({ input: 'x' } as unknown as OpenAI.EmbeddingCreateParams).catch((e: unknown) => e);
    expect(noModel).toMatchObject({ status: 400, param: 'model', code: 'missing_required_parameter' });

    const unknownRoute = await fetch(`${mock.url}/completions`, { method: 'POST', body: '{}' });
    expect(unknownRoute.status).toBe(404);
    expect(await unknownRoute.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/completions)' } });
  });

  it('refuses invalid options from code and from the admin API', async () => {
    expect(() => mock.setOptions({ failRate: 2 })).toThrow(/failRate/);
    const response = await admin('/_mock/options', { rpm: 'many' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining('rpm') } });
    const unknown = await admin('/_mock/options', { rpmm: 3 });
    expect(unknown.status).toBe(400);
  });
});
