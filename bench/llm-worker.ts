/** A worker process of bench/llm.ts: the scenario comes from BENCH_LLM_SCENARIO; runs until SIGTERM. */
import { createSluice } from '../src/runtime/index.js';
import { fromEnv, llmBenchConfig } from './llm-setup.js';

const sluice = createSluice(llmBenchConfig(fromEnv()));
const worker = sluice.startWorker();
await worker.ready();
console.log('ready');
process.once('SIGTERM', () => void sluice.close().then(() => process.exit(0)));
