import { defineConfig, definePipeline, summarize, type SluiceConfig } from '../src/index.js';
import { synthetic } from '../connectors/synthetic/index.js';

/** One scenario of bench/llm.ts, passed to its worker children through the environment. */
export interface LlmScenario {
  prefix: string;
  mockUrl: string;
  /** Limits the config declares (0: none declared). */
  rpm: number;
  tpm: number;
  fairness: 'round-robin' | 'fifo';
  records: number;
}

export const PIPELINE_ID = 'bench-llm';
export const MODEL = 'gpt-4o-mini';
export const MAX_TOKENS = 128;
/** About 115 prompt tokens: with 128 max_tokens a call costs ~250 tokens, so RPM and TPM bind together. */
export const FILLER = Array.from({ length: 45 }, (_, i) => `w${i}`).join(' ');

export function llmBenchConfig(s: LlmScenario): SluiceConfig {
  const pipeline = definePipeline({
    id: PIPELINE_ID,
    source: synthetic.records({ count: s.records, pageSize: 50, perUser: true }),
    sharding: { batchSize: 5 },
    retries: { attempts: 5, backoffMs: 500 },
    fairness: s.fairness,
    steps: (records) =>
      records.pipe(summarize({ model: MODEL, text: (r) => `${r.text} ${FILLER}`, maxTokens: MAX_TOKENS, concurrency: 5 })),
  });
  return defineConfig({
    prefix: s.prefix,
    pipelines: [pipeline],
    llm: {
      providers: { openai: { baseURL: s.mockUrl, apiKey: 'bench', limits: s.rpm > 0 ? { [MODEL]: { rpm: s.rpm, tpm: s.tpm } } : {} } },
      maxWaitInWorkerMs: 2000,
    },
    worker: { concurrency: 2 },
    progress: { intervalMs: 250 },
  });
}

export const toEnv = (s: LlmScenario): Record<string, string> => ({ BENCH_LLM_SCENARIO: JSON.stringify(s) });
export const fromEnv = (): LlmScenario => JSON.parse(process.env.BENCH_LLM_SCENARIO ?? 'null') as LlmScenario;
