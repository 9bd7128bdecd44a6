/**
 * Sluice worker child of bench/core.ts: builds the same config as the parent and runs ONE worker
 * (concurrency 50) until SIGTERM. Reports memory over IPC: at start, every 200 ms, on request,
 * and at the end (after close). Start and end samples follow a full GC when run with --expose-gc.
 *
 *   node --expose-gc --import tsx bench/worker-child.ts <prefix> <records>
 */
import { createSluice } from '../src/runtime/index.js';
import { benchConfig, CONCURRENCY, mb, memSample, sendToParent, type ParentMessage } from './setup.js';

const [prefix, records] = process.argv.slice(2);
if (!prefix || !records) throw new Error('usage: worker-child.ts <prefix> <records>');

const sluice = createSluice(benchConfig(prefix, Number(records)));
const worker = sluice.startWorker({ concurrency: CONCURRENCY });
await worker.ready();

const start = memSample(true);
console.log(`[worker-child ${process.pid}] ready, rss at start ${mb(start.rss)} MB (heap after GC ${mb(start.heapUsed)} MB)`);
await sendToParent({ type: 'ready', mem: start });

const sampler = setInterval(() => void sendToParent({ type: 'sample', mem: memSample() }), 200);
process.on('message', (message: ParentMessage) => {
  if (message.type === 'stats') void sendToParent({ type: 'stats', mem: memSample() });
});

process.once('SIGTERM', () => {
  clearInterval(sampler);
  void (async () => {
    let code = 0;
    try {
      await sluice.close();
    } catch (error) {
      console.error(`[worker-child ${process.pid}] close failed:`, error);
      code = 1;
    }
    const end = memSample(true);
    console.log(`[worker-child ${process.pid}] closed, rss at end ${mb(end.rss)} MB (heap after GC ${mb(end.heapUsed)} MB)`);
    await sendToParent({ type: 'end', mem: end });
    process.exit(code);
  })();
});
