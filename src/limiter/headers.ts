import { parseRetryAfter } from '../util/retry-after.js';

/** Reads the rate-limit headers OpenAI-compatible APIs send, on 429s and on successes alike. */
export interface RateLimitHeaders {
  retryAfterMs?: number;
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  resetRequestsMs?: number;
  resetTokensMs?: number;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

export function readRateLimitHeaders(headers: HeaderSource): RateLimitHeaders {
  const get = (name: string): string | undefined => {
    if (!headers) return undefined;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const value = (headers as Record<string, string | string[] | undefined>)[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const number = (name: string) => {
    // An empty value is no value (Number('') would read it as 0).
    const text = get(name)?.trim();
    const value = Number(text);
    return text && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  const retryAfterMs = number('retry-after-ms') ?? parseRetryAfter(get('retry-after'));
  return {
    retryAfterMs,
    limitRequests: number('x-ratelimit-limit-requests'),
    limitTokens: number('x-ratelimit-limit-tokens'),
    remainingRequests: number('x-ratelimit-remaining-requests'),
    remainingTokens: number('x-ratelimit-remaining-tokens'),
    resetRequestsMs: parseDuration(get('x-ratelimit-reset-requests')),
    resetTokensMs: parseDuration(get('x-ratelimit-reset-tokens')),
  };
}

/** OpenAI writes reset times as durations: "1s", "6m0s", "120ms", "1h2m3.5s". */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let matched = '';
  for (const [whole, amount, unit] of value.matchAll(pattern)) {
    matched += whole;
    total += Number(amount) * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1);
  }
  return matched === value.trim() ? total : undefined;
}
