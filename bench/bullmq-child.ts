/**
 * Raw BullMQ child of bench/core.ts: one Worker with a no-op processor, concurrency 50, on the
 * queue the parent filled. It waits for `go`, then counts completions locally (no Redis polling,
 * so the command count is BullMQ's own) and reports first start / last completion times.
 *
 *   node --import tsx bench/bullmq-child.ts <prefix> <queue> <jobs>
 */
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { CONCURRENCY, mb, memSample, REDIS_URL, sendToParent, type ParentMessage } from './setup.js';

const [prefix, queueName, jobs] = process.argv.slice(2);
if (!prefix || !queueName || !jobs) throw new Error('usage: bullmq-child.ts <prefix> <queue> <jobs>');
const total = Number(jobs);

const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
let firstStartAt = 0;
let completed = 0;
const worker = new Worker(
  queueName,
  async () => {
    if (firstStartAt === 0) firstStartAt = Date.now();
  },
  { connection, prefix: `{${prefix}}`, concurrency: CONCURRENCY, autorun: false },
);
worker.on('error', (error) => console.error(`[bullmq-child] worker error: ${error.message}`));
worker.on('completed', () => {
  completed++;
  if (completed === total) void sendToParent({ type: 'done', count: completed, firstStartAt, lastDoneAt: Date.now() });
});
await worker.waitUntilReady();
await sendToParent({ type: 'ready', mem: memSample() });

process.on('message', (message: ParentMessage) => {
  if (message.type === 'go') void worker.run().catch((error: unknown) => console.error('[bullmq-child] run failed:', error));
  if (message.type === 'stats') void sendToParent({ type: 'stats', mem: memSample() });
});

process.once('SIGTERM', () => {
  void (async () => {
    let code = 0;
    try {
      await worker.close();
    } catch (error) {
      console.error('[bullmq-child] close failed:', error);
      code = 1;
    }
    connection.disconnect();
    const end = memSample();
    console.log(`[bullmq-child ${process.pid}] closed, rss at end ${mb(end.rss)} MB`);
    await sendToParent({ type: 'end', mem: end });
    process.exit(code);
  })();
});
