/**
 * Token counting, one recipe for the whole project: the LLM runtime's estimate (what the limiter
 * reserves) and the mock LLM's charge (what its rate limiter counts) must agree, or the limiter
 * over- or under-books every call it makes against the mock.
 *
 * gpt-tokenizer carries megabytes of tables, so it is imported on first use: importing
 * `definePipeline` or starting the CLI never loads it, only a process that counts tokens does.
 */
type Encoding = typeof import('gpt-tokenizer');

/** A chat message as OpenAI's API takes it; `content` may be a string or an array of parts. */
export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string | undefined;
}

export interface Tokenizer {
  count(text: string): number;
  /** Tokens of a chat prompt, by OpenAI's recipe for chat models (see `countChat`). */
  countChat(messages: readonly ChatMessageLike[]): number;
  /** Splits text into pieces of at most `maxTokens` tokens, so no input is larger than a model accepts. */
  chunk(text: string, maxTokens: number): string[];
  /** Cuts text to at most `maxTokens` tokens, as a model stopping at max_tokens would. */
  truncate(text: string, maxTokens: number): { text: string; tokens: number; truncated: boolean };
}

// OpenAI's counting recipe for chat models: every message is wrapped in a few framing tokens,
// its role and content are encoded, a name costs one more, and the reply is primed with three.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;

let loading: Promise<Tokenizer> | undefined;

/** The shared tokenizer, loaded once per process. */
export function loadTokenizer(): Promise<Tokenizer> {
  loading ??= import('gpt-tokenizer').then(createTokenizer, (error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

function createTokenizer({ encode, decode }: Encoding): Tokenizer {
  const count = (text: string) => (text === '' ? 0 : encode(text).length);
  return {
    count,
    countChat(messages) {
      let total = REPLY_PRIMING;
      for (const message of messages) {
        total += TOKENS_PER_MESSAGE + count(message.role) + count(contentText(message.content));
        if (message.name) total += TOKENS_PER_NAME + count(message.name);
      }
      return total;
    },
    chunk(text, maxTokens) {
      const tokens = encode(text);
      if (tokens.length <= maxTokens) return [text];
      const chunks: string[] = [];
      for (let i = 0; i < tokens.length; i += maxTokens) chunks.push(decode(tokens.slice(i, i + maxTokens)));
      return chunks;
    },
    truncate(text, maxTokens) {
      const tokens = encode(text);
      if (tokens.length <= maxTokens) return { text, tokens: tokens.length, truncated: false };
      return { text: decode(tokens.slice(0, maxTokens)), tokens: maxTokens, truncated: true };
    },
  };
}

/** The text of a message's content: a string, or the text parts of a content array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}

/** Tokens of a text. */
export async function countTokens(text: string): Promise<number> {
  return (await loadTokenizer()).count(text);
}

/** Splits text into pieces of at most `maxTokens` tokens. */
export async function chunkByTokens(text: string, maxTokens: number): Promise<string[]> {
  return (await loadTokenizer()).chunk(text, maxTokens);
}
