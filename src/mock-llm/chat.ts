import { z } from 'zod';
import { invalidRequest } from './errors.js';
import { valueFromSchema, WordSupply } from './schema-value.js';
import { contentText, type Tokenizer } from '../util/tokens.js';

const message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string() })), z.null()]).optional(),
  name: z.string().optional(),
});

const responseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({ name: z.string().min(1), schema: z.record(z.string(), z.unknown()).optional(), strict: z.boolean().nullish() }),
  }),
]);

const tokenLimit = z.number().int().positive().nullish();

export const chatRequestSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(message).min(1),
  max_tokens: tokenLimit,
  max_completion_tokens: tokenLimit,
  n: z.number().int().min(1).max(128).nullish(),
  stream: z.boolean().nullish(),
  response_format: responseFormat.nullish(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** How an answer in JSON mode is broken on purpose (the `invalidJson` knob). */
export type JsonBreakage = 'cut-short' | 'missing-field';

/** Checks the rules OpenAI applies beyond the body's shape. */
export function checkChatRequest(request: ChatRequest): void {
  if (request.stream) throw invalidRequest('Streaming is not supported by the Sluice mock LLM; send stream: false.', 'stream', 'unsupported_value');
  if (request.response_format?.type === 'json_object' && !request.messages.some((m) => /json/i.test(contentText(m.content)))) {
    throw invalidRequest("'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.", 'messages');
  }
}

export const isJsonMode = (request: ChatRequest) => request.response_format?.type === 'json_object' || request.response_format?.type === 'json_schema';

export const maxOutputTokens = (request: ChatRequest) => request.max_completion_tokens ?? request.max_tokens ?? undefined;

export const chatPromptTokens = (request: ChatRequest, tokens: Tokenizer) => tokens.countChat(request.messages);

/** The words of a text (letters, digits, apostrophes, hyphens), punctuation dropped. */
function wordsOf(text: string): string[] {
  return text.match(/[\p{L}\p{N}][\p{L}\p{N}'-]*/gu) ?? [];
}

function lastUserWords(request: ChatRequest): string[] {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  return wordsOf(contentText(lastUser?.content));
}

/** The deterministic answer text: a "summary" of the last user message, or JSON for its schema. */
function answerText(request: ChatRequest, summaryWords: number, breakage: JsonBreakage | undefined): string {
  const words = lastUserWords(request);
  const summary = `Summary: ${words.slice(0, summaryWords).join(' ')}`.trimEnd();
  const format = request.response_format;
  if (format?.type !== 'json_object' && format?.type !== 'json_schema') return summary;
  const schema = format.type === 'json_schema' ? (format.json_schema.schema ?? { type: 'object', properties: {} }) : undefined;
  const value = schema ? valueFromSchema(schema, new WordSupply(words)) : { summary };
  if (breakage === 'missing-field' && schema && dropFirstRequired(value, schema)) return JSON.stringify(value);
  const json = JSON.stringify(value);
  // Cut short like a reply that stopped mid-object: never parseable.
  return breakage ? json.slice(0, Math.max(1, Math.floor(json.length / 2))) : json;
}

function dropFirstRequired(value: unknown, schema: Record<string, unknown>): boolean {
  const first = Array.isArray(schema.required) ? schema.required[0] : undefined;
  if (typeof first !== 'string' || value === null || typeof value !== 'object') return false;
  delete (value as Record<string, unknown>)[first];
  return true;
}

export interface ChatAnswerInput {
  request: ChatRequest;
  id: string;
  promptTokens: number;
  summaryWords: number;
  breakage?: JsonBreakage;
  tokens: Tokenizer;
}

/** A chat.completion exactly as OpenAI shapes it; the text stops at max_tokens like a model would. */
export function chatCompletion({ request, id, promptTokens, summaryWords, breakage, tokens }: ChatAnswerInput) {
  const full = answerText(request, summaryWords, breakage);
  const answer = tokens.truncate(full, maxOutputTokens(request) ?? Infinity);
  const n = request.n ?? 1;
  const completionTokens = answer.tokens * n;
  return {
    id,
    object: 'chat.completion' as const,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: Array.from({ length: n }, (_, index) => ({
      index,
      message: { role: 'assistant' as const, content: answer.text, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: answer.truncated ? ('length' as const) : ('stop' as const),
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_sluice_mock',
  };
}
