/** A latency that is the same for every request, or spread deterministically over a range. */
export type LatencySetting = number | { min: number; max: number };

/** What the mock does; every knob can be changed while it runs (`setOptions`, `POST /_mock/options`). */
export interface MockLlmKnobs {
  /** Accepted model ids, listed by `GET /v1/models`. Unset: any model is accepted. */
  models?: string[];
  /** Requests per minute, per model. Unset: unlimited. */
  rpm?: number;
  /** Tokens per minute, per model (charged as prompt tokens + max_tokens). Unset: unlimited. */
  tpm?: number;
  /**
   * Enforce limits as OpenAI does (default true): a bucket holds one second's share of each
   * per-minute limit, and refused requests count against RPM. False: a whole minute's burst fits.
   */
  faithful?: boolean;
  /** Share (0..1] of rpm/tpm really enforced while the headers claim all of it, as on a key another app shares. Default 1. */
  enforcedShare?: number;
  /** Output tokens charged against `tpm` when a request sets no max_tokens. Default 1024. */
  defaultMaxTokens?: number;
  /** Added before every admitted request is answered. */
  latencyMs?: LatencySetting;
  /** Share of admitted requests (0..1) answered 500, spread evenly: 0.25 fails every 4th. */
  failRate?: number;
  /** Every API request answers 503 while true. */
  outage?: boolean;
  /** The next n admitted requests answer 500 (counts down). */
  burst500?: number;
  /** The next n JSON-mode answers are broken (counts down): alternately cut short and missing a required field. */
  invalidJson?: number;
  /** Requests without `Authorization: Bearer <this>` get 401. */
  requireApiKey?: string;
  /** Embedding length when a request does not ask for `dimensions`. Default 64. */
  embeddingDimensions?: number;
  /** Words of the last user message a chat answer repeats. Default 12. */
  summaryWords?: number;
}

export interface MockLlmOptions extends MockLlmKnobs {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Monotonic milliseconds for rate limits and the histogram; tests pass a fake clock. */
  now?: () => number;
}

/** Requests the rate limiter admitted in one second (since start or the last reset), per model. */
export interface SecondBucket {
  second: number;
  model: string;
  requests: number;
  tokens: number;
}

export interface MockLlmStats {
  /** Every request to /v1 (the admin API is not counted). */
  requests: number;
  ok: number;
  rateLimited: number;
  /** 4xx other than 429. */
  clientErrors: number;
  serverErrors: number;
  /** Tokens charged by admitted requests (the estimate the limiter used). */
  tokensCharged: number;
  /** Usage reported by successful answers. */
  promptTokens: number;
  completionTokens: number;
  perSecond: SecondBucket[];
}

export interface MockLlm {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  port: number;
  stats(): MockLlmStats;
  /** Changes knobs; a key set to undefined goes back to its default. Returns the knobs now in force. */
  setOptions(partial: MockLlmKnobs): MockLlmKnobs;
  /** Forgets stats, rate-limit usage and the deterministic sequences; keeps the knobs. */
  reset(): void;
  close(): Promise<void>;
}
