import type { MockLlmStats, SecondBucket } from './types.js';

/** What the mock saw; the per-second histogram lets a benchmark check achieved RPM/TPM. */
export class StatsRecorder {
  private counts = { requests: 0, ok: 0, rateLimited: 0, clientErrors: 0, serverErrors: 0, tokensCharged: 0, promptTokens: 0, completionTokens: 0 };
  private readonly seconds = new Map<string, SecondBucket>();

  constructor(private startedAt: number) {}

  /** Every API response, by status. */
  response(status: number): void {
    this.counts.requests += 1;
    if (status === 429) this.counts.rateLimited += 1;
    else if (status >= 500) this.counts.serverErrors += 1;
    else if (status >= 400) this.counts.clientErrors += 1;
    else this.counts.ok += 1;
  }

  /** A request the rate limiter let through, charged `tokens`. */
  admitted(model: string, tokens: number, now: number): void {
    this.counts.tokensCharged += tokens;
    const second = Math.floor((now - this.startedAt) / 1000);
    const key = `${second}\u0000${model}`;
    const bucket = this.seconds.get(key) ?? { second, model, requests: 0, tokens: 0 };
    bucket.requests += 1;
    bucket.tokens += tokens;
    this.seconds.set(key, bucket);
  }

  usage(promptTokens: number, completionTokens: number): void {
    this.counts.promptTokens += promptTokens;
    this.counts.completionTokens += completionTokens;
  }

  snapshot(): MockLlmStats {
    const perSecond = [...this.seconds.values()]
      .map((bucket) => ({ ...bucket }))
      .sort((a, b) => a.second - b.second || a.model.localeCompare(b.model));
    return { ...this.counts, perSecond };
  }

  reset(now: number): void {
    this.startedAt = now;
    this.seconds.clear();
    for (const key of Object.keys(this.counts) as (keyof typeof this.counts)[]) this.counts[key] = 0;
  }
}
