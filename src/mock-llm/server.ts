import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import { loadTokenizer } from '../util/tokens.js';
import { createMockApp } from './app.js';
import { pickKnobs } from './knobs.js';
import { MockState } from './state.js';
import type { MockLlm, MockLlmKnobs, MockLlmOptions } from './types.js';

/** Monotonic, so a clock change on the machine cannot refill or drain a rate-limit window. */
const monotonicMs = () => Math.floor(performance.now());

/** Starts a local OpenAI-compatible server with deterministic answers, real rate limits and injectable faults. */
export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const state = new MockState(pickKnobs(options), options.now ?? monotonicMs);
  // Loaded before listening, so the first request is not the one that waits for the tables.
  await loadTokenizer();
  const closing = new AbortController();
  // Every request waiting out its latency listens on this one signal: many at once is expected.
  setMaxListeners(0, closing.signal);
  const app = createMockApp(state, closing.signal);
  const host = options.host ?? '127.0.0.1';

  const { server, port } = await new Promise<{ server: Server; port: number }>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, (info: AddressInfo) => resolve({ server, port: info.port })) as Server;
    server.once('error', reject);
  });

  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/v1`,
    port,
    stats: () => state.stats.snapshot(),
    setOptions: (partial: MockLlmKnobs) => state.setKnobs(partial),
    reset: () => state.reset(),
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        closing.abort();
        server.close((error) => (error ? reject(error) : resolve()));
        // Clients keep connections alive; idle ones would hold close() open.
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
