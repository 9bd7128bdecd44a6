/** Messages for the fake Gmail server: seeds written by hand in tests, or a generated mailbox. */

export interface GmailMessageSeed {
  /** A whole RFC 822 message; built from the fields below when absent. */
  raw?: string | Uint8Array;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  /** Default ['INBOX']. */
  labelIds?: string[];
  /** Messages with the same thread id form one thread; default a thread of its own. */
  threadId?: string;
  /** Receive time (ms since epoch); default: after the mailbox's latest message. */
  internalDate?: number;
}

export interface GenerateMailboxOptions {
  count: number;
  /** Messages per thread (the last thread may be shorter). Default 1. */
  threadSize?: number;
  /** Receive time of the oldest message. Default 2026-01-01. */
  start?: number;
  /** Label sets to cycle through. Default INBOX, then INBOX + IMPORTANT, then SENT. */
  labels?: string[][];
}

const DEFAULT_LABELS = [['INBOX'], ['INBOX', 'IMPORTANT'], ['SENT']];
const PEOPLE = ['Ann Lee <ann@example.com>', 'Bob Stone <bob@example.com>', 'Carol Diaz <carol@example.com>', 'Dan Wu <dan@example.com>'];
const TOPICS = ['launch plan', 'invoice', 'hiring', 'offsite', 'security review', 'roadmap', 'customer call', 'budget'];

/** A mailbox of `count` plain messages, oldest first, deterministic for a given count. */
export function generateMailbox(options: GenerateMailboxOptions): GmailMessageSeed[] {
  const threadSize = Math.max(1, options.threadSize ?? 1);
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const labels = options.labels ?? DEFAULT_LABELS;
  const seeds: GmailMessageSeed[] = [];
  for (let i = 0; i < options.count; i++) {
    const thread = Math.floor(i / threadSize);
    const topic = TOPICS[thread % TOPICS.length]!;
    const reply = i % threadSize > 0;
    seeds.push({
      from: PEOPLE[i % PEOPLE.length]!,
      to: PEOPLE[(i + 1) % PEOPLE.length]!,
      subject: `${reply ? 'Re: ' : ''}${topic} #${thread}`,
      text: `Message ${i} about the ${topic}. We agreed that ${PEOPLE[(i + 2) % PEOPLE.length]!.split(' <')[0]} follows up by Friday.`,
      labelIds: labels[i % labels.length],
      threadId: `thread-${thread}`,
      internalDate: start + i * 60_000,
    });
  }
  return seeds;
}

/** An RFC 822 message from a seed's fields. */
export function buildRaw(seed: GmailMessageSeed, id: string, date: number): Buffer {
  if (seed.raw !== undefined) return Buffer.from(seed.raw);
  const lines = [
    `From: ${seed.from ?? 'Ann Lee <ann@example.com>'}`,
    `To: ${seed.to ?? 'me@example.com'}`,
    `Subject: ${seed.subject ?? '(no subject)'}`,
    `Date: ${new Date(date).toUTCString()}`,
    `Message-ID: <${id}@fake.gmail>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    seed.text ?? '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

/** Gmail's snippet: the start of the body text, whitespace collapsed. */
export function snippetOf(raw: Buffer): string {
  const text = raw.toString('utf8');
  const bodyAt = text.search(/\r?\n\r?\n/);
  const body = bodyAt >= 0 ? text.slice(bodyAt) : '';
  return body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
}
