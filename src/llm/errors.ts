/** The provider rejected the API key: every call would fail, so the run fails now. */
export class LlmAuthError extends Error {
  override name = 'LlmAuthError';
  readonly interruptsShard = true;
}

/** 5xx, timeouts, connection errors: the shard is retried with backoff (the circuit stops hammering). */
export class ProviderUnavailableError extends Error {
  override name = 'ProviderUnavailableError';
  readonly interruptsShard = true;
}

/** The provider refused this request (400, content policy): this record fails, with the reason. */
export class LlmRequestError extends Error {
  override name = 'LlmRequestError';
}
