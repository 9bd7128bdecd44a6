export interface BackoffOptions {
  /** First delay; the server's `retry:` field replaces it. Default 1000 ms. */
  initialMs?: number;
  /** Longest delay. Default 10 s. */
  maxMs?: number;
}

/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half random, so a server
 * restart is not met by every client at the same instant, and no client retries with no delay.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
