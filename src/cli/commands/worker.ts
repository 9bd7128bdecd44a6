import type { Command } from 'commander';
import { openSluice, portNumber, positiveInt, type CommonOptions } from '../options.js';

interface WorkerOptions extends CommonOptions {
  concurrency?: number;
  metricsPort?: number;
  metricsHost: string;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('process shards of the configured pipelines until SIGTERM/SIGINT')
    .argument('[pipelines...]', 'only serve the queues of these pipelines (default: all)')
    .option('--concurrency <n>', 'jobs this process runs at once per queue', positiveInt('--concurrency'))
    .option('--metrics-port <n>', 'serve Prometheus metrics at GET /metrics on this port (0 picks a free one)', portNumber('--metrics-port'))
    .option('--metrics-host <host>', 'interface the metrics port listens on', '127.0.0.1')
    .action(async (pipelines: string[], options: WorkerOptions) => {
      const sluice = await openSluice(options, 'info');
      const worker = sluice.startWorker({ pipelines, concurrency: options.concurrency });
      await worker.ready();
      const { serveMetrics } = await import('../../runtime/metrics-server.js');
      const metrics = options.metricsPort === undefined ? undefined : await serveMetrics(sluice.metrics, options.metricsPort, options.metricsHost);
      if (metrics) console.log(`sluice worker metrics at ${metrics.url}`);
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
      await metrics?.close();
      console.log('sluice worker stopped');
      // A step that ignored its abort signal may still hold timers: its job is already back in the queue.
      process.exit(0);
    });
}
