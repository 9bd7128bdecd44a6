import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { batchedGet } from '../src/llm/cache-reads.js';
import { UsageMeter, type Usage } from '../src/pipeline/llm.js';

describe('LLM cache reads', () => {
  it('reads asked for in one event-loop turn go to Redis as one MGET, each caller getting its own value', async () => {
    const calls: string[][] = [];
    const store: Record<string, string> = { a: '1', c: '3' };
    const redis = { mget: async (...keys: string[]) => (calls.push(keys), keys.map((k) => store[k] ?? null)) } as unknown as Redis;
    const get = batchedGet(redis);
    expect(await Promise.all([get('a'), get('b'), get('c')])).toEqual(['1', null, '3']);
    expect(calls).toEqual([['a', 'b', 'c']]);
    expect(await get('a')).toBe('1');
    expect(calls).toHaveLength(2);
  });

  it('a failed MGET fails every read it carried', async () => {
    const redis = { mget: async () => Promise.reject(new Error('down')) } as unknown as Redis;
    const get = batchedGet(redis);
    const results = await Promise.allSettled([get('a'), get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it("a batch's cache hits counted together are published as one delta, written before flushed() resolves", async () => {
    const published: Usage[] = [];
    const meter = new UsageMeter(async (delta) => {
      published.push(delta);
    });
    meter.addCached();
    meter.addCached();
    meter.addCached();
    await meter.flushed();
    expect(published).toEqual([{ promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls: 3 }]);
    expect(meter.usage.cachedCalls).toBe(3);
  });
});
