import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../src/mock-llm/index.js';

let mock: MockLlm;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockLlm({ models: ['gpt-4o-mini', 'text-embedding-3-small'] });
  client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
});
afterEach(() => mock.close());

const messages = [
  { role: 'system' as const, content: 'You summarise documents.' },
  { role: 'user' as const, content: 'The quick brown fox jumps over the lazy dog, twice!' },
];

/** OpenAI's recipe: 3 framing tokens per message, its role and content, and 3 to prime the reply. */
const expectedPromptTokens = 3 + messages.reduce((sum, m) => sum + 3 + encode(m.role).length + encode(m.content).length, 0);

describe('mock LLM chat completions', () => {
  it('answers deterministically from the last user message, with usage counted the way OpenAI counts it', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.7 });
    const second = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0 });

    const content = 'Summary: The quick brown fox jumps over the lazy dog twice';
    expect(first.choices[0]?.message.content).toBe(content);
    expect(second.choices[0]?.message.content).toBe(content);
    expect(first).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } }],
      usage: {
        prompt_tokens: expectedPromptTokens,
        completion_tokens: encode(content).length,
        total_tokens: expectedPromptTokens + encode(content).length,
      },
    });
    expect(first.id).toMatch(/^chatcmpl-/);
    expect(first.id).not.toBe(second.id);
    expect(Number.isInteger(first.created)).toBe(true);
  });

  it('stops at max_tokens (or max_completion_tokens) with finish_reason "length"', async () => {
    const capped = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 3 });
    const cappedNew = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_completion_tokens: 3 });

    for (const completion of [capped, cappedNew]) {
      expect(completion.choices[0]?.finish_reason).toBe('length');
      expect(completion.usage?.completion_tokens).toBe(3);
      expect(encode(completion.choices[0]?.message.content ?? '')).toHaveLength(3);
      expect('Summary: The quick brown fox'.startsWith(completion.choices[0]?.message.content ?? '-')).toBe(true);
    }
  });

  it('repeats only the first summaryWords words, and reads text parts of content arrays', async () => {
    mock.setOptions({ summaryWords: 3 });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'alpha beta gamma delta' }] }],
    });
    expect(completion.choices[0]?.message.content).toBe('Summary: alpha beta gamma');
  });

  it('lists the configured models and refuses any other with a 400 naming the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);

    const error = await client.chat.completions.create({ model: 'gpt-5-imaginary', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'model', code: 'model_not_found' });
  });

  it('refuses streaming with a 400 naming the parameter', async () => {
    const error = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'stream' });
  });
});
