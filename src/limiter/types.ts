/** A shared budget, per limiter key (e.g. `openai:gpt-4o-mini`). Absent figures are not limited. */
export interface LimitSpec {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute. */
  tpm?: number;
  /** Requests per day (UTC). */
  rpd?: number;
  /** Tokens per day (UTC). */
  tpd?: number;
}

export interface LimiterOptions {
  /** Seconds of budget a full bucket holds (at least one request). Small values pace work evenly. Default 0.1. */
  burstSeconds?: number;
  /** Share of each limit aimed for, leaving room for clock skew and other clients. Default 0.99. */
  pace?: number;
  /** Consecutive failures that open a key's circuit. Default 5. */
  circuitThreshold?: number;
  /** First circuit cooldown; doubles while failures go on, up to `maxCooldownMs`. Defaults 2 s and 60 s. */
  cooldownMs?: number;
  maxCooldownMs?: number;
  /** Share kept after a 429 that named no limits. Default 0.8. */
  cutFactor?: number;
}

export type WaitReason = 'rate' | 'paused' | 'circuit' | 'day';

/**
 * `at` is the Redis server's time of the granted slot: now, or up to the `aheadMs` asked for later,
 * in which case the caller sleeps `waitMs` and then sends (the budget is already taken).
 */
export type Acquired = { granted: true; at: number; waitMs: number; grant: Grant } | { granted: false; waitMs: number; reason: WaitReason };

/**
 * A granted slot: its time (Redis clock) and the running totals of requests and tokens granted up to
 * and with it, so settling it can tell which grants came after (and could not be in the provider's
 * headers yet).
 */
export interface Grant {
  at: number;
  requests: number;
  tokens: number;
}

/** What a call's response taught us, for `settle`. */
export interface CallOutcome {
  kind: 'ok' | 'rate_limited' | 'failed' | 'none';
  /** Tokens the provider really charged; the reservation is corrected to it. */
  chargedTokens?: number;
  /** How long the provider asked us to wait (429). */
  retryAfterMs?: number;
  /** Limits read from the provider's headers. */
  learned?: { rpm?: number; tpm?: number };
  /** What the provider's headers say is left (x-ratelimit-remaining-* and reset-*, reset in ms). */
  remaining?: { requests?: number; resetRequestsMs?: number; tokens?: number; resetTokensMs?: number };
  /** The slot the call was sent in, from `acquire`: with `remaining`, the buckets follow what the provider has left. */
  grant?: Grant;
}
