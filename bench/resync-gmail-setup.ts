import { defineConfig, definePipeline, summarize, type SluiceConfig } from '../src/index.js';
import { createGmailConnector } from '../connectors/gmail/index.js';

/** Shared by bench/resync-gmail.ts and its worker children (bench/resync-worker.ts): the very same config. */
export interface GmailResyncScenario {
  prefix: string;
  gmailUrl: string;
  tokenUrl: string;
  refreshToken: string;
  llmUrl: string;
}

export const GMAIL_PIPELINE_ID = 'bench-resync-gmail';
export const GMAIL_USER_ID = 'bench-gmail-user';
export const GMAIL_MODEL = 'gpt-4o-mini';
/** Gmail's per-user quota, declared as the limiter's budget and enforced by the fake server. */
export const GMAIL_UNITS_PER_MINUTE = 15_000;

export function gmailResyncConfig(s: GmailResyncScenario): SluiceConfig {
  const gmail = createGmailConnector({ rootUrl: s.gmailUrl, tokenUrl: s.tokenUrl });
  const pipeline = definePipeline({
    id: GMAIL_PIPELINE_ID,
    source: gmail.messages(),
    sharding: { batchSize: 20 },
    retries: { attempts: 5, backoffMs: 200 },
    steps: (records) =>
      records
        .map((m) => ({ subject: m.subject, labels: m.labelIds, text: `${m.subject}\n${m.text.slice(0, 2000)}` }))
        .pipe(summarize({ model: GMAIL_MODEL, text: (m) => m.text, maxTokens: 64, concurrency: 5 })),
  });
  return defineConfig({
    prefix: s.prefix,
    pipelines: [pipeline],
    credentials: ({ connector }) => {
      if (connector !== 'gmail') throw new Error(`no credentials for ${connector}`);
      return { clientId: 'bench', clientSecret: 'bench', refreshToken: s.refreshToken };
    },
    limits: { 'gmail:user:{userId}': { tpm: GMAIL_UNITS_PER_MINUTE } },
    llm: { providers: { openai: { baseURL: s.llmUrl, apiKey: 'bench', limits: { [GMAIL_MODEL]: { rpm: 1_000_000, tpm: 1_000_000_000 } } } } },
    worker: { concurrency: 8 },
    progress: { intervalMs: 100 },
  });
}

export const gmailToEnv = (s: GmailResyncScenario): Record<string, string> => ({ BENCH_RESYNC_GMAIL_SCENARIO: JSON.stringify(s) });
export const gmailFromEnv = (): GmailResyncScenario | undefined => {
  const raw = process.env.BENCH_RESYNC_GMAIL_SCENARIO;
  return raw ? (JSON.parse(raw) as GmailResyncScenario) : undefined;
};
