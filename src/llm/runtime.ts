import { createHash } from 'node:crypto';
import type { RedisClient } from '../store/redis.js';
import type { APIError, OpenAI } from 'openai';
import { readRateLimitHeaders } from '../limiter/headers.js';
import { LimiterWaitError } from '../limiter/errors.js';
import type { Limiter } from '../limiter/limiter.js';
import type { CallOutcome } from '../limiter/types.js';
import type { KeyBuilder } from '../store/keys.js';
import { stableStringify } from '../util/hash.js';
import type { ChatRequest, EmbedRequest, LlmRuntime, ModelRef, UsageMeter } from '../pipeline/llm.js';
import { loadTokenizer } from '../util/tokens.js';
import { batchedGet } from './cache-reads.js';
import { costMicros, DEFAULT_PRICES, type LlmConfig, type LlmProviderConfig } from './config.js';
import { LlmAuthError, LlmRequestError, ProviderUnavailableError } from './errors.js';

interface Cached<T> {
  value: T;
}

/**
 * LLM calls for one worker process. Every call takes its budget from the shared limiter first,
 * runs with the SDK's own retries off (a retry-after sleep would hold the worker slot), feeds the
 * response's rate-limit headers back, and caches the answer by content so a re-sync or a re-run
 * shard never pays twice.
 */
export function createLlmRuntime(redis: RedisClient, keys: KeyBuilder, limiter: Limiter, config: LlmConfig = {}): LlmRuntime {
  const providers = config.providers ?? { openai: {} };
  const maxWait = config.maxWaitInWorkerMs ?? 2000;
  const ttl = config.cacheTtlSeconds ?? 30 * 24 * 3600;
  const inFlightNotice = config.inFlightNoticeMs ?? 5000;
  const clients = new Map<string, OpenAI>();
  const readCache = batchedGet(redis);

  const providerConfig = (name: string): LlmProviderConfig => {
    const found = providers[name];
    if (!found) throw new LlmRequestError(`unknown LLM provider "${name}"; configure it under llm.providers`);
    return found;
  };
  const client = async (name: string): Promise<OpenAI> => {
    let existing = clients.get(name);
    if (!existing) {
      const { OpenAI } = await loadSdk();
      const p = providerConfig(name);
      const apiKey = p.apiKey ?? process.env.OPENAI_API_KEY;
      if (!apiKey) throw new LlmAuthError(`no API key for LLM provider "${name}": set OPENAI_API_KEY or llm.providers.${name}.apiKey`);
      existing = new OpenAI({
        apiKey,
        baseURL: p.baseURL ?? process.env.OPENAI_BASE_URL ?? undefined,
        maxRetries: 0,
        timeout: timeoutOf(p),
      });
      clients.set(name, existing);
    }
    return existing;
  };
  /** The SDK's per-request options: a deadline (the provider's `timeoutMs`), and the shard's abort signal, so a hung call is cut when its run is cancelled. */
  const requestOptions = (ref: ModelRef) => ({ timeout: timeoutOf(providerConfig(ref.provider)), ...(ref.signal ? { signal: ref.signal } : {}) });
  const price = (ref: ModelRef) => providerConfig(ref.provider).prices?.[ref.model] ?? DEFAULT_PRICES[ref.model];

  /** `call` gets `remember`, which caches a valid answer; it is sent with the call's settle, in one round trip. */
  async function cached<T>(scope: string, payload: unknown, usage: UsageMeter, call: (remember: (value: T) => Promise<unknown>) => Promise<T>, accept: (value: T) => boolean = () => true): Promise<T> {
    const key = keys.llmCache(createHash('sha256').update(scope).update('\0').update(stableStringify(payload)).digest('base64url'));
    const hit = await readCache(key);
    if (hit) {
      usage.addCached();
      return (JSON.parse(hit) as Cached<T>).value;
    }
    return call(async (value) => (accept(value) ? redis.set(key, JSON.stringify({ value } satisfies Cached<T>), 'EX', ttl) : undefined));
  }

  /** Runs one request under the limiter and turns the provider's answer into a limiter outcome. */
  async function limited<T>(
    ref: ModelRef,
    reserve: number,
    usage: UsageMeter,
    remember: (value: T) => Promise<unknown>,
    send: () => Promise<{ value: T; charged: number; headers: Headers }>,
  ): Promise<T> {
    const key = limiterKeyOf(ref);
    ref.signal?.throwIfAborted();
    // The SDK loads before budget is taken: a slot spent waiting on an import would send late,
    // bunched with the next slots, and a server that holds one second's share answers 429.
    await client(ref.provider);
    const grant = await limiter.acquire(key, reserve, maxWait, ref.priority ?? 0, true);
    // A call that takes long (a provider slow to answer, toward its deadline) shows in progress.
    const slow = { on: key, since: Date.now(), deadline: Date.now() + timeoutOf(providerConfig(ref.provider)) };
    let shown = false;
    const notice = setTimeout(() => {
      shown = true;
      usage.slowCall(slow);
    }, inFlightNotice);
    notice.unref();
    let answer: { value: T; charged: number; headers: Headers };
    try {
      answer = await send();
    } catch (error) {
      // We cut the call (the run was cancelled): the provider did nothing wrong, its circuit stays as it is.
      const outcome: CallOutcome = ref.signal?.aborted ? { kind: 'none' } : { ...outcomeOf(error), grant };
      await limiter.settle(key, reserve, outcome);
      if (ref.signal?.aborted) throw ref.signal.reason;
      if (outcome.kind === 'rate_limited') throw new LimiterWaitError(key, outcome.retryAfterMs ?? 1000, 'paused');
      throw classify(ref, error, timeoutOf(providerConfig(ref.provider)));
    } finally {
      clearTimeout(notice);
      if (shown) usage.slowCallEnded(slow);
    }
    // Asked in the same event-loop turn as the usage `send` published: one round trip for the three.
    await Promise.all([limiter.settle(key, reserve, { kind: 'ok', chargedTokens: answer.charged, ...fromHeaders(answer.headers), grant }), remember(answer.value)]);
    return answer.value;
  }

  return {
    async chat(request, usage) {
      const payload = { model: request.model, messages: request.messages, maxTokens: request.maxTokens, schema: request.jsonSchema, attempt: request.attempt ?? 0 };
      return cached(`chat:${request.provider}:${request.cacheScope}`, payload, usage, async (remember) => {
        const tokens = await loadTokenizer();
        const prompt = tokens.countChat(request.messages);
        return limited(request, prompt + request.maxTokens, usage, remember, async () => {
          const { data, response } = await (await client(request.provider))
            .chat.completions.create({
              model: request.model,
              messages: request.messages,
              max_tokens: request.maxTokens,
              ...endUser(providerConfig(request.provider), request.userId),
              ...(request.jsonSchema
                ? { response_format: { type: 'json_schema' as const, json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: false } } }
                : {}),
            }, requestOptions(request))
            .withResponse();
          const content = data.choices?.[0]?.message?.content;
          if (typeof content !== 'string') throw new LlmRequestError(`${request.provider}:${request.model} answered without message content`);
          const promptTokens = data.usage?.prompt_tokens ?? prompt;
          const completionTokens = data.usage?.completion_tokens ?? tokens.count(content);
          usage.add(promptTokens, completionTokens, costMicros(promptTokens, completionTokens, price(request)), limiterKeyOf(request));
          const chargesMax = (providerConfig(request.provider).rateLimitCharge ?? 'max_tokens') === 'max_tokens';
          return { value: content, charged: promptTokens + (chargesMax ? request.maxTokens : completionTokens), headers: response.headers };
        });
      }, request.accept);
    },
    async embed(request, usage) {
      return cached(`embed:${request.provider}:${request.cacheScope}`, { model: request.model, inputs: request.inputs }, usage, async (remember) => {
        const tokens = await loadTokenizer();
        const estimate = request.inputs.reduce((sum, text) => sum + tokens.count(text), 0);
        return limited(request, estimate, usage, remember, async () => {
          const { data, response } = await (await client(request.provider)).embeddings.create({ model: request.model, input: request.inputs }, requestOptions(request)).withResponse();
          if (!Array.isArray(data.data) || data.data.length !== request.inputs.length) {
            throw new LlmRequestError(`${request.provider}:${request.model} returned ${data.data?.length ?? 0} embeddings for ${request.inputs.length} inputs`);
          }
          const vectors = [...data.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
          const promptTokens = data.usage?.prompt_tokens ?? estimate;
          usage.add(promptTokens, 0, costMicros(promptTokens, 0, price(request)), limiterKeyOf(request));
          return { value: vectors, charged: promptTokens, headers: response.headers };
        });
      });
    },
  };
}

/** The end user as the provider is configured to receive it: hashed, so the id itself never leaves. */
function endUser(config: LlmProviderConfig, userId: string | undefined): { safety_identifier?: string; user?: string } {
  if (!config.endUserId || !userId) return {};
  return { [config.endUserId]: createHash('sha256').update(userId).digest('hex').slice(0, 32) };
}

/** The budget a call draws from. */
const limiterKeyOf = (ref: ModelRef) => ref.limiterKey ?? `${ref.provider}:${ref.model}`;

/** Deadline of one provider request, in ms. */
export const DEFAULT_LLM_TIMEOUT_MS = 60_000;
const timeoutOf = (provider: LlmProviderConfig) => provider.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;

/** The advertised limits and what is left, from any answer's x-ratelimit-* headers (a 429's or a 5xx's too). */
function fromHeaders(headers: Headers | undefined): Pick<CallOutcome, 'learned' | 'remaining'> {
  const read = readRateLimitHeaders(headers);
  const learned = read.limitRequests === undefined && read.limitTokens === undefined ? undefined : { rpm: read.limitRequests, tpm: read.limitTokens };
  const remaining = { requests: read.remainingRequests, resetRequestsMs: read.resetRequestsMs, tokens: read.remainingTokens, resetTokensMs: read.resetTokensMs };
  return { ...(learned ? { learned } : {}), remaining };
}

// The SDK loads with the first request, only in processes whose steps call a model. Until then no
// error can be one of its errors.
let sdk: typeof import('openai') | undefined;
const loadSdk = async () => (sdk ??= await import('openai'));
const isApiError = (error: unknown): error is APIError => sdk !== undefined && error instanceof sdk.APIError;

function outcomeOf(error: unknown): CallOutcome {
  if (isApiError(error)) {
    if (error.status === 429) {
      const read = readRateLimitHeaders(error.headers);
      return { kind: 'rate_limited', retryAfterMs: read.retryAfterMs ?? 1000, ...fromHeaders(error.headers) };
    }
    if (error.status === undefined || error.status >= 500) return { kind: 'failed', ...fromHeaders(error.headers) };
    return { kind: 'none' };
  }
  // Our own errors (a malformed answer) say nothing about the provider's health.
  return error instanceof LlmRequestError ? { kind: 'none' } : { kind: 'failed' };
}

function classify(ref: ModelRef, error: unknown, timeoutMs: number): Error {
  const where = `${ref.provider}:${ref.model}`;
  if (error instanceof LlmRequestError) return error;
  if (error instanceof Error && error.constructor.name === 'APIConnectionTimeoutError') {
    return new ProviderUnavailableError(`${where} timed out after ${timeoutMs / 1000} s`);
  }
  if (isApiError(error) && (error.status === 401 || error.status === 403)) {
    return new LlmAuthError(`${where} rejected the API key (${error.status})`);
  }
  if (isApiError(error) && error.status !== undefined && error.status < 500) {
    return new LlmRequestError(`${where} refused the request (${error.status}): ${error.message}`);
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new ProviderUnavailableError(`${where} unavailable: ${detail}`);
}
