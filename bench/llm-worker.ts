/**
 * A worker process of bench/llm.ts: the scenario comes from BENCH_LLM_SCENARIO; runs until SIGTERM,
 * then prints how many Redis commands it sent (every connection of the process), for calls per LLM request.
 */
import { Redis } from 'ioredis';
import { createSluice } from '../src/runtime/index.js';
import { fromEnv, llmBenchConfig } from './llm-setup.js';

let commands = 0;
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<typeof send>) {
  commands += 1;
  return send.apply(this, args);
};

const sluice = createSluice(llmBenchConfig(fromEnv()));
const worker = sluice.startWorker();
await worker.ready();
console.log('ready');
process.once('SIGTERM', () => {
  console.log(`redis-commands ${commands}`);
  void sluice.close().then(() => process.exit(0));
});
