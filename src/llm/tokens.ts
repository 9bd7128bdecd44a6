import { createRequire } from 'node:module';

// The encoder's tables take megabytes: they load on the first count, only in processes that call a
// model, never in an app that just defines pipelines. Synchronously, so counting stays a plain call.
let tokenizer: typeof import('gpt-tokenizer') | undefined;
const loadTokenizer = () => (tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer') as typeof import('gpt-tokenizer'));
const encode = (text: string) => loadTokenizer().encode(text);
const decode = (tokens: number[]) => loadTokenizer().decode(tokens);

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Tokens of a chat prompt, counted the way OpenAI does: content plus a few per message. */
export function countChatTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + 4 + encode(m.content).length, 3);
}

export function countTokens(text: string): number {
  return encode(text).length;
}

/** Splits text into pieces of at most `maxTokens` tokens, so no input is larger than a model accepts. */
export function chunkByTokens(text: string, maxTokens: number): string[] {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return [text];
  const chunks: string[] = [];
  for (let i = 0; i < tokens.length; i += maxTokens) chunks.push(decode(tokens.slice(i, i + maxTokens)));
  return chunks;
}
