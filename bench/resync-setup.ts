import { defineConfig, definePipeline, summarize, type SluiceConfig } from '../src/index.js';
import { createGithubConnector, type GithubFile, type GithubIssue, type GithubPull } from '../connectors/github/index.js';

/** Shared by bench/resync.ts and its worker children (bench/resync-worker.ts): the very same config. */
export interface ResyncScenario {
  prefix: string;
  githubUrl: string;
  llmUrl: string;
}

export const PIPELINE_ID = 'bench-resync';
export const USER_ID = 'bench-user';
export const TOKEN = 'bench-token';
export const REPO = 'acme/app';
export const MODEL = 'gpt-4o-mini';
export const CONCURRENCY = 8;

type Record_ = GithubFile | GithubIssue | GithubPull;

/**
 * One text per record: a file's text, an issue or pull with its thread. Long texts keep their head
 * and tail only, to keep the mock's tokenizer cheap; the tail, because the fake server's edits append
 * a line, and a prompt that did not change would be answered from the LLM cache.
 */
function textOf(record: Record_): { text: string } {
  const text = 'path' in record ? `${record.path}\n${record.text}` : 'comments' in record
    ? [record.title, record.body, ...record.comments.map((c) => c.body)].join('\n')
    : `${record.title}\n${record.body}`;
  return { text: text.length <= 2000 ? text : `${text.slice(0, 1000)}\n…\n${text.slice(-1000)}` };
}

export function resyncConfig(s: ResyncScenario): SluiceConfig {
  const github = createGithubConnector({ baseUrl: s.githubUrl });
  const pipeline = definePipeline({
    id: PIPELINE_ID,
    source: [github.files({ repos: [REPO] }), github.issues({ repos: [REPO] }), github.pulls({ repos: [REPO] })],
    sharding: { batchSize: 20 },
    retries: { attempts: 5, backoffMs: 200 },
    steps: (records) => records.map(textOf).pipe(summarize({ model: MODEL, text: (r) => r.text, maxTokens: 64, concurrency: 5 })),
  });
  return defineConfig({
    prefix: s.prefix,
    pipelines: [pipeline],
    credentials: () => ({ token: TOKEN }),
    llm: { providers: { openai: { baseURL: s.llmUrl, apiKey: 'bench', limits: { [MODEL]: { rpm: 1_000_000, tpm: 1_000_000_000 } } } } },
    worker: { concurrency: CONCURRENCY },
    progress: { intervalMs: 100 },
  });
}

export const toEnv = (s: ResyncScenario): Record<string, string> => ({ BENCH_RESYNC_SCENARIO: JSON.stringify(s) });
export const fromEnv = (): ResyncScenario => JSON.parse(process.env.BENCH_RESYNC_SCENARIO ?? 'null') as ResyncScenario;
