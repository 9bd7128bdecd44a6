/** The mock's rate limiter: OpenAI's per-minute windows, its 429s and its x-ratelimit-* headers. */

export interface Limits {
  rpm?: number;
  tpm?: number;
  /**
   * OpenAI's enforcement (default true): a bucket holds one second's share of each per-minute
   * limit, and a refused request still counts against RPM. False: a whole minute's burst fits.
   */
  faithful?: boolean;
  /** Share of the advertised limits really enforced, as when another app uses the same key. Default 1. */
  enforcedShare?: number;
}

export type Admission =
  | { ok: true; headers: Record<string, string> }
  | {
      ok: false;
      headers: Record<string, string>;
      type: 'requests' | 'tokens';
      message: string;
      /** Absent when waiting cannot help (the request alone is over the limit). */
      retryAfterMs?: number;
    };

const ORGANIZATION = 'org-sluice-mock';

/** Per-model RPM and TPM windows, answering the way OpenAI's limiter does. */
export class RateLimiter {
  private readonly windows = new Map<string, { requests: UsageWindow; tokens: UsageWindow }>();

  /** Charges one request of `tokens` to `model` if both limits allow it; either way says what is left. */
  admit(model: string, tokens: number, limits: Limits, now: number): Admission {
    const { requests, tokens: tokenWindow } = this.windowsOf(model, now);
    const share = limits.enforcedShare ?? 1;
    const faithful = limits.faithful ?? true;
    // What the server really enforces; the headers keep claiming the advertised figures.
    const rpm = limits.rpm === undefined ? undefined : limits.rpm * share;
    const tpm = limits.tpm === undefined ? undefined : limits.tpm * share;
    const bucket = (limit: number) => (faithful ? limit / 60 : limit);
    if (rpm !== undefined) requests.advance(rpm, now);
    if (tpm !== undefined) tokenWindow.advance(tpm, now);

    if (tpm !== undefined && tokens > tpm) {
      return {
        ok: false,
        type: 'tokens',
        headers: this.headers(requests, tokenWindow, limits),
        message: `Request too large for ${model} in organization ${ORGANIZATION} on tokens per min (TPM): Limit ${tpm}, Requested ${tokens}. The input or output tokens must be reduced in order to run successfully.`,
      };
    }
    const requestsFit = rpm === undefined || requests.fits(rpm, bucket(rpm), 1);
    const tokensFit = tpm === undefined || tokenWindow.fits(tpm, bucket(tpm), tokens);
    if (!requestsFit || !tokensFit) {
      // The request is admitted only once both fit, so that is the wait either error reports.
      const waitMs = Math.max(rpm === undefined ? 0 : requests.waitFor(rpm, bucket(rpm), 1), tpm === undefined ? 0 : tokenWindow.waitFor(tpm, bucket(tpm), tokens));
      // OpenAI counts refused requests against RPM too: hammering through 429s prolongs them.
      if (faithful && rpm !== undefined) requests.charge(1);
      const message = !requestsFit
        ? `Rate limit reached for ${model} in organization ${ORGANIZATION} on requests per min (RPM): Limit ${rpm}, Used ${requests.used()}, Requested 1. Please try again in ${formatDuration(waitMs)}.`
        : `Rate limit reached for ${model} in organization ${ORGANIZATION} on tokens per min (TPM): Limit ${tpm}, Used ${tokenWindow.used()}, Requested ${tokens}. Please try again in ${formatDuration(waitMs)}.`;
      return { ok: false, type: requestsFit ? 'tokens' : 'requests', headers: this.headers(requests, tokenWindow, limits), message, retryAfterMs: Math.max(1, waitMs) };
    }
    if (rpm !== undefined) requests.charge(1);
    if (tpm !== undefined) tokenWindow.charge(tokens);
    return { ok: true, headers: this.headers(requests, tokenWindow, limits) };
  }

  reset(): void {
    this.windows.clear();
  }

  private windowsOf(model: string, now: number) {
    let windows = this.windows.get(model);
    if (!windows) {
      windows = { requests: new UsageWindow(now), tokens: new UsageWindow(now) };
      this.windows.set(model, windows);
    }
    return windows;
  }

  /** x-ratelimit-* for the limits that are set: OpenAI sends them on every answer, 429 or not. */
  /**
   * x-ratelimit-* for the limits that are set: OpenAI sends them on every answer, 429 or not.
   * `limit` is the advertised figure; remaining and reset are in per-minute terms against what is
   * really enforced (a key shared with another app shows less remaining than its limit implies).
   */
  private headers(requests: UsageWindow, tokens: UsageWindow, { rpm, tpm, enforcedShare = 1 }: Limits): Record<string, string> {
    const headers: Record<string, string> = {};
    if (rpm !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(rpm);
      headers['x-ratelimit-remaining-requests'] = String(requests.remaining(rpm * enforcedShare));
      headers['x-ratelimit-reset-requests'] = formatDuration(requests.untilFull(rpm * enforcedShare));
    }
    if (tpm !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tpm);
      headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining(tpm * enforcedShare));
      headers['x-ratelimit-reset-tokens'] = formatDuration(tokens.untilFull(tpm * enforcedShare));
    }
    return headers;
  }
}

/** The window OpenAI's per-minute limits refill over. */
const WINDOW_MS = 60_000;

/**
 * Usage against one per-minute limit, refilling continuously (limit/60 s per second) as OpenAI's
 * does: "Used 28039, Requested 3906" of 30000 TPM waits (28039 + 3906 - 30000) / 500 per s = 3.89 s.
 * What fits at once is `capacity` (a second's share when faithful, the whole limit otherwise); a
 * request bigger than the capacity goes when the bucket is empty. Usage is kept in
 * unit-milliseconds so the arithmetic stays in integers; the limit is passed in on every call, so
 * changing it at run time keeps what was already used.
 */
class UsageWindow {
  private usedScaled = 0;
  private updatedAt: number;

  constructor(now: number) {
    this.updatedAt = now;
  }

  /** Refills for the time since the last call. */
  advance(limit: number, now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.usedScaled = Math.max(0, this.usedScaled - elapsed * limit);
    this.updatedAt = Math.max(this.updatedAt, now);
  }

  fits(limit: number, capacity: number, amount: number): boolean {
    return this.usedScaled <= 0 ? amount <= limit : this.usedScaled + amount * WINDOW_MS <= capacity * WINDOW_MS;
  }

  charge(amount: number): void {
    this.usedScaled += amount * WINDOW_MS;
  }

  used(): number {
    return Math.ceil(this.usedScaled / WINDOW_MS);
  }

  remaining(limit: number): number {
    return Math.max(0, Math.floor((limit * WINDOW_MS - this.usedScaled) / WINDOW_MS));
  }

  /** Milliseconds until `amount` fits (0 if it fits now). */
  waitFor(limit: number, capacity: number, amount: number): number {
    const room = Math.min(amount, capacity) * WINDOW_MS;
    return Math.max(0, Math.ceil((this.usedScaled + room - capacity * WINDOW_MS) / limit));
  }

  /** Milliseconds until the window is back to its full limit: OpenAI's x-ratelimit-reset-*. */
  untilFull(limit: number): number {
    return Math.ceil(this.usedScaled / limit);
  }
}

/**
 * Formats a wait the way OpenAI's headers and messages do (Go's duration format):
 * "120ms", "1s", "9.816s", "6m0s", "1h2m3.5s". Under a second it is whole milliseconds.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
