/**
 * Progress server child of bench/progress.ts: `createProgressServer` over the bench config on a
 * free port, in its own process so its memory is measured alone and the subscribers' parsing
 * does not share its event loop. Reports over IPC: its URL once listening, memory on request.
 *
 *   node --expose-gc --import tsx bench/progress-server-child.ts <prefix> <records> <secret>
 */
import { createSluice } from '../src/runtime/index.js';
import { createProgressServer } from '../src/server/index.js';
import { benchConfig, memSample } from './setup.js';

export type ServerChildMessage = { type: 'listening'; url: string } | { type: 'mem'; rss: number; heapUsed: number; cpuMs: number; streams: number; watchedUsers: number };

const [prefix, records, secret] = process.argv.slice(2);
if (!prefix || !records || !secret) throw new Error('usage: progress-server-child.ts <prefix> <records> <secret>');

const sluice = createSluice(benchConfig(prefix, Number(records)));
const server = createProgressServer({ sluice, secret, maxStreamsPerUser: 10_000 });
const listening = await server.listen(0);
process.send?.({ type: 'listening', url: listening.url } satisfies ServerChildMessage);

process.on('message', (message: { type: string; collect?: boolean }) => {
  if (message.type !== 'mem') return;
  const mem = memSample(message.collect !== false);
  process.send?.({ type: 'mem', rss: mem.rss, heapUsed: mem.heapUsed, cpuMs: mem.cpuMs, ...server.stats() } satisfies ServerChildMessage);
});

process.once('SIGTERM', () => {
  void (async () => {
    await listening.close();
    await sluice.close();
    process.exit(0);
  })();
});
