import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../src/mock-llm/index.js';

let mock: MockLlm;
let client: OpenAI;

beforeEach(async () => {
  mock = await startMockLlm();
  client = new OpenAI({ baseURL: mock.url, apiKey: 'test', maxRetries: 0 });
});
afterEach(() => mock.close());

const norm = (vector: ArrayLike<number>) => Math.sqrt(Array.from(vector).reduce((sum, x) => sum + x * x, 0));
const texts = ['first document', 'second document', 'a third, longer document about rate limits'];

describe('mock LLM embeddings', () => {
  it('returns one deterministic unit vector of 64 dimensions per input, with prompt tokens counted', async () => {
    // The SDK asks for base64 by default and decodes it; asking for floats must give the same vectors.
    const base64 = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts });
    const floats = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts, encoding_format: 'float' });

    expect(base64.data).toHaveLength(3);
    expect(base64.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const [i, item] of base64.data.entries()) {
      expect(item.embedding).toHaveLength(64);
      expect(norm(item.embedding)).toBeCloseTo(1, 5);
      expect(Array.from(item.embedding)).toEqual(floats.data[i]?.embedding);
    }
    expect(floats.data[0]?.embedding).not.toEqual(floats.data[1]?.embedding);
    const tokens = texts.reduce((sum, text) => sum + encode(text).length, 0);
    expect(base64.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    expect(base64.model).toBe('text-embedding-3-small');
  });

  it('gives the same text the same vector in any batch, at the requested dimensions', async () => {
    const alone = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'second document', dimensions: 16, encoding_format: 'float' });
    const batched = await client.embeddings.create({ model: 'text-embedding-3-small', input: texts, dimensions: 16, encoding_format: 'float' });

    expect(alone.data).toHaveLength(1);
    expect(alone.data[0]?.embedding).toHaveLength(16);
    expect(alone.data[0]?.embedding).toEqual(batched.data[1]?.embedding);
  });

  it('uses embeddingDimensions when the request does not ask', async () => {
    mock.setOptions({ embeddingDimensions: 8 });
    const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(result.data[0]?.embedding).toHaveLength(8);
  });

  it('refuses an empty input with a 400 naming the parameter', async () => {
    const error = await client.embeddings.create({ model: 'text-embedding-3-small', input: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'input' });
  });
});
