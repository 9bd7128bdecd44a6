/** Progress says precisely what LLM calls wait on: a wait ends when the provider answers, a slow call shows. */
import { createServer, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { formatWaiting } from '../src/client/format.js';
import type { Limiter } from '../src/limiter/limiter.js';
import { createLlmRuntime } from '../src/llm/runtime.js';
import { LLM_CALL_IN_FLIGHT, UsageMeter, type SlowCall } from '../src/pipeline/llm.js';
import { RunStore } from '../src/runtime/run-store.js';
import { createKeys } from '../src/store/keys.js';
import { deletePrefix, uniquePrefix, withStore } from './support/redis.js';

const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(prefixes.splice(0).map((p) => deletePrefix(p)));
});

/** A running run `p/u/r1` in its own store, and the RunStore over it. */
async function withRunningRun(test: (store: { redis: Redis; keys: ReturnType<typeof createKeys>; runs: RunStore; ref: { pipelineId: string; userId: string; runId: string } }) => Promise<void>) {
  const prefix = uniquePrefix('llm-waits');
  prefixes.push(prefix);
  await withStore(prefix, async ({ redis, keys }) => {
    await redis.hset(keys.run('p', 'u', 'r1').state, 'status', 'running', 'pipeline', 'p', 'user', 'u');
    await test({ redis, keys, runs: new RunStore(redis, keys), ref: { pipelineId: 'p', userId: 'u', runId: 'r1' } });
  });
}

describe('LLM waits in progress', () => {
  it('a wait on a provider ends as soon as a call on its key is answered, not when its time runs out', async () => {
    await withRunningRun(async ({ redis, keys, runs, ref }) => {
      await runs.setWaiting(ref, { on: 'openai:m', reason: 'provider unavailable', untilMs: Date.now() + 60_000 });
      const usage = { promptTokens: 10, completionTokens: 5, costMicros: 0, calls: 1, cachedCalls: 0 };

      // An answer on another key says nothing about this provider.
      expect(await runs.addUsage(ref, usage, 'other:m')).toBeUndefined();
      expect((await runs.snapshot(ref)).waiting?.reason).toBe('provider unavailable');

      const cleared = await runs.addUsage(ref, usage, 'openai:m');
      expect(cleared?.waiting).toBeUndefined();
      expect(cleared?.usage?.promptTokens).toBe(20);
      expect(await redis.hget(keys.run('p', 'u', 'r1').state, 'waiting')).toBeNull();

      // A call in flight is not ended by another call's answer, only by its own end.
      await runs.setWaiting(ref, { on: 'openai:m', reason: LLM_CALL_IN_FLIGHT, untilMs: Date.now() + 60_000, sinceMs: Date.now() });
      expect(await runs.addUsage(ref, usage, 'openai:m', LLM_CALL_IN_FLIGHT)).toBeUndefined();
      expect((await runs.snapshot(ref)).waiting).toMatchObject({ reason: LLM_CALL_IN_FLIGHT, since: expect.any(String) });
      expect((await runs.addUsage(ref, { ...usage, calls: 0, promptTokens: 0, completionTokens: 0 }, 'openai:m'))?.waiting).toBeUndefined();
    });
  });

  it('a wait learned before the provider answered on its key is not shown after that answer', async () => {
    await withRunningRun(async ({ runs, ref }) => {
      // A shard was refused while the circuit's probe was out; the probe's paid answer lands before its wait is recorded.
      const seenAtMs = Date.now() - 1;
      await runs.addUsage(ref, { promptTokens: 10, completionTokens: 5, costMicros: 0, calls: 1, cachedCalls: 0 }, 'openai:m');
      const wait = { on: 'openai:m', reason: 'provider unavailable', untilMs: Date.now() + 60_000 };
      expect(await runs.setWaiting(ref, { ...wait, seenAtMs })).toBeUndefined();
      expect((await runs.snapshot(ref)).waiting).toBeUndefined();
      // Another key's wait, and a wait learned after the answer, still show.
      expect((await runs.setWaiting(ref, { ...wait, on: 'other:m', seenAtMs }))?.waiting?.on).toBe('other:m');
      expect((await runs.setWaiting(ref, { ...wait, seenAtMs: Date.now() + 1 }))?.waiting?.on).toBe('openai:m');
    });
  });

  it('a call in flight longer than the notice shows as a wait that counts up, ended when it answers', async () => {
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = createServer((_, res: ServerResponse) => {
      void held.then(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const shown: SlowCall[] = [];
      const ended: SlowCall[] = [];
      let onShown: (() => void) | undefined;
      const seen = new Promise<void>((resolve) => (onShown = resolve));
      const meter = new UsageMeter(undefined, {
        shown: (call) => {
          shown.push(call);
          onShown?.();
        },
        ended: (call) => ended.push(call),
      });
      // The call itself is under test: no cache hit, and budget always granted.
      const redis = { get: async () => null, mget: async (...keys: string[]) => keys.map(() => null), set: async () => 'OK' } as unknown as Redis;
      const limiter = { acquire: async () => ({ at: 0, requests: 0, tokens: 0 }), settle: async () => {} } as unknown as Limiter;
      const llm = createLlmRuntime(redis, createKeys('t-llm-waits'), limiter, {
        providers: { openai: { baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'k', timeoutMs: 30_000 } },
        inFlightNoticeMs: 100,
      });
      const answer = llm.chat({ provider: 'openai', model: 'm', messages: [{ role: 'user', content: 'hi' }], maxTokens: 5, cacheScope: 's' }, meter);
      await seen;
      expect(shown).toEqual([{ on: 'openai:m', since: expect.any(Number), deadline: shown[0]!.since + 30_000 }]);
      expect(ended).toEqual([]);
      release?.();
      expect(await answer).toBe('ok');
      expect(ended).toEqual(shown);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('formats a wait that counts up with how long so far', () => {
    const since = '2026-01-05T14:00:00Z';
    expect(formatWaiting({ on: 'openai:gpt-4o-mini', reason: LLM_CALL_IN_FLIGHT, until: '2026-01-05T14:01:00Z', since }, Date.parse('2026-01-05T14:00:07Z'))).toBe(
      'waiting: openai:gpt-4o-mini llm call in flight 7 s',
    );
  });
});
