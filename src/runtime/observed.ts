import { isSluiceError } from '../errors/index.js';
import { LimiterWaitError } from '../limiter/errors.js';
import { configuredKey, type Limiter } from '../limiter/limiter.js';
import type { LimitSpec } from '../limiter/types.js';
import type { LlmRuntime, ModelRef, UsageMeter } from '../pipeline/llm.js';
import type { RuntimeMetrics } from './metrics.js';
import { inSpan } from './tracing.js';

/**
 * The shared limiter, reporting grants, in-process waits, deferrals and the provider answers fed
 * back, under each key's configured name (a user's key counts under its template).
 */
export function observedLimiter(limiter: Limiter, specs: Record<string, LimitSpec>, metrics: RuntimeMetrics): Limiter {
  const configured = configuredKey(specs);
  const label = (key: string) => configured(key) ?? key;
  return {
    ...limiter,
    async acquire(key, tokens, maxWaitMs, priority, settles) {
      const started = Date.now();
      try {
        const granted = await limiter.acquire(key, tokens, maxWaitMs, priority, settles);
        metrics.limiterGranted(label(key), tokens, Date.now() - started);
        return granted;
      } catch (error) {
        if (error instanceof LimiterWaitError) metrics.limiterDeferred(label(key), error.reason);
        throw error;
      }
    },
    async settle(key, reservedTokens, outcome) {
      metrics.limiterSettled(label(key), outcome.kind);
      return limiter.settle(key, reservedTokens, outcome);
    },
  };
}

/** LLM calls counted (tokens, cost, cache hits per provider and model) and traced, one span per call. */
export function observedLlm(llm: LlmRuntime, metrics: RuntimeMetrics): LlmRuntime {
  // Each call gets a meter of its own that passes every paid call (or cache hit) on to the
  // batch's meter as it happens, so the batch's accounting is unchanged.
  const relay = (ref: ModelRef, usage: UsageMeter) => usage.forCall((delta) => metrics.llmUsage(ref.provider, ref.model, delta));
  const attributes = (ref: ModelRef) => ({ 'sluice.llm.provider': ref.provider, 'sluice.llm.model': ref.model });
  return {
    chat: (request, usage) => inSpan('sluice.llm.chat', attributes(request), () => llm.chat(request, relay(request, usage))),
    embed: (request, usage) => inSpan('sluice.llm.embed', attributes(request), () => llm.embed(request, relay(request, usage))),
  };
}

/** One page read of a connector, timed, counted by outcome and traced (the span of an upstream call). */
export async function observedRead<T>(metrics: RuntimeMetrics, connector: string, read: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const page = await inSpan('sluice.source.read', { 'sluice.connector': connector }, read);
    metrics.sourceRead(connector, 'ok', seconds());
    return page;
  } catch (error) {
    const code = isSluiceError(error) ? error.code : undefined;
    if (code === 'source_rate_limit') metrics.sourceRateLimitWait(connector, (error as { retryAfterMs?: number }).retryAfterMs ?? 0);
    metrics.sourceRead(connector, code === 'source_rate_limit' ? 'rate_limited' : code === 'limiter_wait' ? 'deferred' : 'error', seconds());
    throw error;
  }
}
