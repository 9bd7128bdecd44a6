/** Every LLM request carries a deadline: a provider that never answers fails the call with "timed out". */
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { createLlmRuntime } from '../src/llm/runtime.js';
import type { Limiter } from '../src/limiter/limiter.js';
import type { UsageMeter } from '../src/pipeline/llm.js';
import { createKeys } from '../src/store/keys.js';
import { withSilentServer } from './support/silent-server.js';

// The call itself is under test: no cache hit, and budget always granted.
const redis = { get: async () => null, mget: async (...keys: string[]) => keys.map(() => null), set: async () => 'OK' } as unknown as Redis;
const limiter = { acquire: async () => ({ at: 0 }), settle: async () => {} } as unknown as Limiter;
const usage = { add: () => {}, addCached: () => {} } as unknown as UsageMeter;

describe('LLM deadlines', () => {
  it('a chat request the provider never answers fails with "timed out after N s" (the provider timeoutMs)', async () => {
    const error = await withSilentServer(async (url) => {
      const llm = createLlmRuntime(redis, createKeys('t-llm-deadline'), limiter, { providers: { slow: { baseURL: url, apiKey: 'k', timeoutMs: 200 } } });
      return llm.chat({ provider: 'slow', model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5, cacheScope: 's' }, usage).catch((e: unknown) => e);
    });
    expect((error as Error).name).toBe('ProviderUnavailableError');
    expect((error as Error).message).toBe('slow:m timed out after 0.2 s');
  });

  it('embeddings too', async () => {
    const error = await withSilentServer(async (url) => {
      const llm = createLlmRuntime(redis, createKeys('t-llm-deadline'), limiter, { providers: { slow: { baseURL: url, apiKey: 'k', timeoutMs: 200 } } });
      return llm.embed({ provider: 'slow', model: 'e', inputs: ['hi'], cacheScope: 's' }, usage).catch((e: unknown) => e);
    });
    expect((error as Error).message).toBe('slow:e timed out after 0.2 s');
  });
});
