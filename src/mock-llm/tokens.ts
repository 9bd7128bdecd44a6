import { decode, encode } from 'gpt-tokenizer';

export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string | undefined;
}

// OpenAI's own counting recipe for chat models: every message is wrapped in a few framing tokens,
// a name costs one more, and the reply is primed with three.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;

export function countTokens(text: string): number {
  return text === '' ? 0 : encode(text).length;
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

export function countPromptTokens(messages: readonly ChatMessageLike[]): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + countTokens(message.role) + countTokens(contentText(message.content));
    if (message.name) total += TOKENS_PER_NAME + countTokens(message.name);
  }
  return total;
}

/** Cuts text to at most `maxTokens` tokens, as a model stopping at max_tokens would. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; tokens: number; truncated: boolean } {
  const tokens = encode(text);
  if (tokens.length <= maxTokens) return { text, tokens: tokens.length, truncated: false };
  return { text: decode(tokens.slice(0, maxTokens)), tokens: maxTokens, truncated: true };
}
