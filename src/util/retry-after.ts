/**
 * A `Retry-After` header in milliseconds: delay-seconds ("30") or an HTTP-date. Undefined when
 * absent or unreadable, so the caller falls back to its own default.
 *
 * Clamp: never below 1 s. The header has one-second resolution, so "0", a fraction or a date already
 * past all mean "within the second", and retrying at once would only earn another 429. No upper
 * clamp: how long to wait is the provider's call.
 */
export const MIN_RETRY_AFTER_MS = 1000;

export function parseRetryAfter(value: string | number | null | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  if (text === '') return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.max(seconds * 1000, MIN_RETRY_AFTER_MS) : undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(date - now, MIN_RETRY_AFTER_MS);
}
