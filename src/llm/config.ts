import type { LimitSpec } from '../limiter/types.js';

export interface LlmProviderConfig {
  /** Any OpenAI-compatible API: OpenAI, Azure, vLLM, Ollama, `sluice mock-llm`. Default: OPENAI_BASE_URL or OpenAI. */
  baseURL?: string;
  /** Default: OPENAI_API_KEY. Resolved in the worker, never stored in jobs or events. */
  apiKey?: string;
  /** Budgets per model; the limiter key is `<provider>:<model>`. */
  limits?: Record<string, LimitSpec>;
  /** USD per million tokens, for cost estimates; common OpenAI models are known. */
  prices?: Record<string, ModelPrice>;
  /** Per request. Default 60 s. */
  timeoutMs?: number;
  /**
   * What the provider's rate limiter charges a chat call: OpenAI counts `max_tokens` up front
   * ('max_tokens', the default); some servers count real usage ('usage').
   */
  rateLimitCharge?: 'max_tokens' | 'usage';
  /**
   * Send each call's end user, hashed (SHA-256 of the user id, never the id itself), as OpenAI's
   * `safety_identifier` ('safety_identifier') or the older `user` field ('user'). Default: not sent.
   */
  endUserId?: 'safety_identifier' | 'user';
}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** List prices of common models, for the cost estimate in progress; configure others per provider. */
export const DEFAULT_PRICES: Record<string, ModelPrice> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'text-embedding-3-small': { input: 0.02, output: 0 },
  'text-embedding-3-large': { input: 0.13, output: 0 },
};

/** Estimated cost of a call in millionths of a USD; 0 when the model's price is unknown. */
export function costMicros(promptTokens: number, completionTokens: number, price: ModelPrice | undefined): number {
  return price ? Math.round(promptTokens * price.input + completionTokens * price.output) : 0;
}

export interface LlmConfig {
  /** Default: `{ openai: {} }`. */
  providers?: Record<string, LlmProviderConfig>;
  /** Longest a call waits for budget inside a worker; longer, and its shard goes back to the queue. Default 2 s. */
  maxWaitInWorkerMs?: number;
  /** How long LLM results are cached by content. Default 30 days. */
  cacheTtlSeconds?: number;
  /** A call still in flight after this long shows in its run's progress (`llm call in flight 7 s`). Default 5 s. */
  inFlightNoticeMs?: number;
}

/** Limits by limiter key from every provider's per-model limits, plus the config's own `limits`. */
export function collectLimits(llm: LlmConfig | undefined, limits: Record<string, LimitSpec> | undefined): Record<string, LimitSpec> {
  const all: Record<string, LimitSpec> = {};
  for (const [provider, config] of Object.entries(llm?.providers ?? {})) {
    for (const [model, spec] of Object.entries(config.limits ?? {})) all[`${provider}:${model}`] = spec;
  }
  return { ...all, ...limits };
}
