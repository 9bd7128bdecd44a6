import { formatDuration } from './duration.js';
import { UsageWindow } from './usage-window.js';

export interface Limits {
  rpm?: number;
  tpm?: number;
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
    const { rpm, tpm } = limits;
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
    const requestsFit = rpm === undefined || requests.fits(rpm, 1);
    const tokensFit = tpm === undefined || tokenWindow.fits(tpm, tokens);
    if (!requestsFit || !tokensFit) {
      // The request is admitted only once both fit, so that is the wait either error reports.
      const waitMs = Math.max(rpm === undefined ? 0 : requests.waitFor(rpm, 1), tpm === undefined ? 0 : tokenWindow.waitFor(tpm, tokens));
      const message = !requestsFit
        ? `Rate limit reached for ${model} in organization ${ORGANIZATION} on requests per min (RPM): Limit ${rpm}, Used ${requests.used()}, Requested 1. Please try again in ${formatDuration(waitMs)}.`
        : `Rate limit reached for ${model} in organization ${ORGANIZATION} on tokens per min (TPM): Limit ${tpm}, Used ${tokenWindow.used()}, Requested ${tokens}. Please try again in ${formatDuration(waitMs)}.`;
      return { ok: false, type: requestsFit ? 'tokens' : 'requests', headers: this.headers(requests, tokenWindow, limits), message, retryAfterMs: waitMs };
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
  private headers(requests: UsageWindow, tokens: UsageWindow, { rpm, tpm }: Limits): Record<string, string> {
    const headers: Record<string, string> = {};
    if (rpm !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(rpm);
      headers['x-ratelimit-remaining-requests'] = String(requests.remaining(rpm));
      headers['x-ratelimit-reset-requests'] = formatDuration(requests.untilFull(rpm));
    }
    if (tpm !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tpm);
      headers['x-ratelimit-remaining-tokens'] = String(tokens.remaining(tpm));
      headers['x-ratelimit-reset-tokens'] = formatDuration(tokens.untilFull(tpm));
    }
    return headers;
  }
}
