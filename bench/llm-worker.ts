/**
 * A worker process of bench/llm.ts: the scenario comes from BENCH_LLM_SCENARIO; runs until SIGTERM,
 * then prints the Redis commands and round trips it sent (every connection of the process), by kind.
 */
import { installRedisCensus } from './redis-census.js';
import { createSluice } from '../src/runtime/index.js';
import { fromEnv, llmBenchConfig } from './llm-setup.js';

const census = installRedisCensus();
const sluice = createSluice(llmBenchConfig(fromEnv()));
const worker = sluice.startWorker();
await worker.ready();
console.log('ready');
process.once('SIGTERM', () => {
  console.log(`redis-census ${JSON.stringify(census())}`);
  void sluice.close().then(() => process.exit(0));
});
