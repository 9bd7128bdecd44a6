import { z } from 'zod';
import { definePipeline, embed, extract, summarize } from 'sluice';
import { createGmailConnector, type GmailConnectorOptions, type GmailMessage, type GmailThread } from 'sluice/connectors/gmail';

/** A conversation as context: who, what was agreed, and passages to retrieve by meaning. */
export interface GmailDocument {
  threadId: string;
  subject: string;
  participants: string[];
  lastMessageAt?: string;
  labels: string[];
  summary: string;
  people: { name: string; email?: string; role?: string }[];
  commitments: { who: string; what: string; due?: string }[];
  chunk: string;
  embedding: number[];
}

export interface GmailOnboardingOptions {
  id?: string;
  gmail?: GmailConnectorOptions;
  /** Labels to sync; default the inbox and sent mail (no spam, trash or promotions). */
  labelIds?: string[];
  model?: string;
  embeddingModel?: string;
}

const facts = z.object({
  people: z.array(z.object({ name: z.string(), email: z.string().optional(), role: z.string().optional() })),
  commitments: z.array(z.object({ who: z.string(), what: z.string(), due: z.string().optional() })),
});

/** Characters of a thread sent to the LLM steps: the newest messages matter most. */
const THREAD_CHARS = 24_000;

/**
 * Onboarding for a user who connects Gmail. Threads arrive newest first (Gmail lists them so, and
 * each page is fetched in parallel within the user's quota), so recent mail is ready within seconds
 * and older mail follows. Each thread is summarised (long ones in pieces), people and commitments
 * are extracted, and the thread is embedded in chunks. Re-syncs replay Gmail's history: only
 * threads that changed are read and sent to the model again; deleted ones leave the sink.
 * Configure the quota in sluice.config.ts: limits: { 'gmail:user:{userId}': { tpm: 15000 } }.
 */
export function createGmailOnboarding(options: GmailOnboardingOptions = {}) {
  const gmail = createGmailConnector(options.gmail);
  const model = options.model ?? 'gpt-4o-mini';
  const labelIds = options.labelIds ?? ['INBOX'];
  return definePipeline({
    id: options.id ?? 'gmail-onboarding',
    description: "A user's Gmail threads: summaries, people, commitments and embeddings",
    source: gmail.threads({ labelIds }),
    sharding: { batchSize: 20 },
    steps: (records) =>
      records
        .filter((thread) => thread.messages.length > 0)
        .map((thread) => ({ thread, text: threadText(thread) }))
        .pipe(summarize({ model, text: (t) => t.text, maxTokens: 200, instructions: 'Summarise this e-mail thread in a few factual sentences: what it is about, what was decided, what is open.' }))
        .pipe(extract({ model, schema: facts, text: (t) => t.text, instructions: 'List the people in this e-mail thread and the commitments made (who promised what, by when).' }))
        .map(({ thread, text, summary, extracted }) => ({
          threadId: thread.id,
          subject: thread.subject,
          participants: participants(thread.messages),
          lastMessageAt: thread.messages.at(-1)?.date,
          labels: thread.labelIds,
          summary,
          people: extracted.people,
          commitments: extracted.commitments,
          text: `${thread.subject}\n\n${summary}\n\n${text}`,
        }))
        .pipe(embed({ model: options.embeddingModel ?? 'text-embedding-3-small', text: (d) => d.text }))
        .map(({ text: _text, ...document }): GmailDocument => document),
  });
}

export const gmailOnboarding = createGmailOnboarding(
  process.env.GMAIL_API_URL ? { gmail: { rootUrl: process.env.GMAIL_API_URL, tokenUrl: process.env.GMAIL_TOKEN_URL } } : {},
);

/** The thread as one readable text, newest messages kept when it is too long. */
function threadText(thread: GmailThread): string {
  const parts = thread.messages.map((m) => `From: ${m.from ? `${m.from.name} <${m.from.address}>` : 'unknown'}\nDate: ${m.date ?? ''}\n\n${m.text}`);
  const text = parts.join('\n\n---\n\n');
  return text.length > THREAD_CHARS ? text.slice(text.length - THREAD_CHARS) : text;
}

function participants(messages: GmailMessage[]): string[] {
  return [...new Set(messages.flatMap((m) => [m.from, ...m.to, ...m.cc]).filter((a) => a !== undefined).map((a) => a.address))];
}
