import type { LimitSpec } from '../limiter/types.js';
import type { ModelPrice } from './usage.js';

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
}

export interface LlmConfig {
  /** Default: `{ openai: {} }`. */
  providers?: Record<string, LlmProviderConfig>;
  /** Longest a call waits for budget inside a worker; longer, and its shard goes back to the queue. Default 2 s. */
  maxWaitInWorkerMs?: number;
  /** How long LLM results are cached by content. Default 30 days. */
  cacheTtlSeconds?: number;
}

/** Limits by limiter key from every provider's per-model limits, plus the config's own `limits`. */
export function collectLimits(llm: LlmConfig | undefined, limits: Record<string, LimitSpec> | undefined): Record<string, LimitSpec> {
  const all: Record<string, LimitSpec> = {};
  for (const [provider, config] of Object.entries(llm?.providers ?? {})) {
    for (const [model, spec] of Object.entries(config.limits ?? {})) all[`${provider}:${model}`] = spec;
  }
  return { ...all, ...limits };
}
