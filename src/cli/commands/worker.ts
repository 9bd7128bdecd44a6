import type { Command } from 'commander';
import { openSluice, positiveInt, type CommonOptions } from '../options.js';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('process shards of the configured pipelines until SIGTERM/SIGINT')
    .argument('[pipelines...]', 'only serve the queues of these pipelines (default: all)')
    .option('--concurrency <n>', 'jobs this process runs at once per queue', positiveInt('--concurrency'))
    .action(async (pipelines: string[], options: CommonOptions & { concurrency?: number }) => {
      const sluice = await openSluice(options);
      const worker = sluice.startWorker({ pipelines, concurrency: options.concurrency });
      await worker.ready();
      // Handlers first, then the readiness line: a signal sent on seeing it must find them installed.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.log(`sluice worker: ${signal}, finishing in-flight jobs`);
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      console.log(`sluice worker ready (pid ${process.pid}, pipelines: ${pipelines.length ? pipelines.join(', ') : 'all'})`);
      await stopped;
      const handedBack = await worker.close();
      if (handedBack > 0) console.log(`sluice worker: drain deadline passed, ${handedBack} unfinished job(s) handed back to the queue`);
      await sluice.close();
      console.log('sluice worker stopped');
      // A step that ignored its abort signal may still hold timers: its job is already back in the queue.
      process.exit(0);
    });
}
