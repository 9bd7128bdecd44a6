import { SluiceError } from '../errors/index.js';

/** The provider rejected the API key: every call would fail, so the run fails now. */
export class LlmAuthError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code = 'llm_auth';
}

/** 5xx, timeouts, connection errors: the shard is retried with backoff (the circuit stops hammering). */
export class ProviderUnavailableError extends SluiceError {
  readonly kind = 'retry';
  readonly code = 'provider_unavailable';
}

/** The provider refused this request (400, content policy): this record fails, with the reason. */
export class LlmRequestError extends SluiceError {
  readonly kind = 'record-failed';
  readonly code = 'llm_request';
}
