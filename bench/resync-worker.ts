/**
 * Worker child of bench/resync.ts and bench/resync-gmail.ts: builds the same config as the parent
 * (the Gmail one when BENCH_RESYNC_GMAIL_SCENARIO is set) and runs one Sluice worker
 * (concurrency 8) until SIGTERM.
 *
 *   BENCH_RESYNC_SCENARIO='{...}' node --import tsx bench/resync-worker.ts
 */
import { createSluice } from '../src/runtime/index.js';
import { gmailFromEnv, gmailResyncConfig } from './resync-gmail-setup.js';
import { CONCURRENCY, fromEnv, resyncConfig } from './resync-setup.js';

const gmail = gmailFromEnv();
const sluice = createSluice(gmail ? gmailResyncConfig(gmail) : resyncConfig(fromEnv()));
const worker = sluice.startWorker({ concurrency: CONCURRENCY });
await worker.ready();
process.send?.({ type: 'ready' });

process.once('SIGTERM', () => {
  void sluice.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`[resync-worker ${process.pid}] close failed:`, error);
      process.exit(1);
    },
  );
});
