/**
 * Once GitHub has said a token's budget is spent (x-ratelimit-remaining: 0 until x-ratelimit-reset,
 * or a rate-limit answer), no further request of that token leaves this process before the reset:
 * the call throws SourceRateLimitError at once, and the shard waits in the queue until then.
 * Requests already in flight when the news arrives still finish.
 */
import { SourceRateLimitError } from 'sluice';
import { CONNECTOR } from './errors.js';

type Headers = Record<string, string | number | undefined>;

export class RateGate {
  private closedUntil = 0;

  /** Throws instead of sending while the budget is known to be spent. */
  check(endpoint: string, now = Date.now()): void {
    if (now >= this.closedUntil) return;
    const waitMs = this.closedUntil - now;
    throw new SourceRateLimitError(
      `GitHub rate limit reached: ${endpoint} not sent, retry in ${Math.ceil(waitMs / 1000)} s`,
      CONNECTOR,
      waitMs,
    );
  }

  /** Reads the budget from any answer's headers. Only the core budget: the only one the streams use. */
  observe(headers: Headers | undefined, now = Date.now()): void {
    if (!headers) return;
    const resource = headers['x-ratelimit-resource'];
    if (resource !== undefined && resource !== 'core') return;
    const reset = Number(headers['x-ratelimit-reset']);
    // One second past the reset: GitHub truncates it to the second.
    if (String(headers['x-ratelimit-remaining'] ?? '') === '0' && Number.isFinite(reset) && reset * 1000 > now) {
      this.closeUntil(reset * 1000 + 1000);
    }
  }

  /** A rate-limit answer (primary or secondary) closes the gate for as long as it asked. */
  closeFor(waitMs: number, now = Date.now()): void {
    this.closeUntil(now + waitMs);
  }

  private closeUntil(ms: number): void {
    this.closedUntil = Math.max(this.closedUntil, ms);
  }
}
