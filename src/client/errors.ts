import { parseRetryAfter } from '../util/retry-after.js';

export interface ProgressErrorDetails {
  /**
   * The server's error code (`token_expired`, `forbidden`, ...), or `network`, `bad_response`,
   * `stream_closed`, `idle_timeout`, `state_lost` (the server's Redis lost the progress: starting over).
   */
  code: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** True when retrying cannot help: the subscription stops. */
  fatal?: boolean;
  /** How long the server asked us to wait (429 `Retry-After`). */
  retryAfterMs?: number;
}

/** An error from the progress server (its JSON `{ error: { code, message } }`) or from the connection. */
export class ProgressError extends Error {
  override readonly name = 'ProgressError';
  readonly code: string;
  readonly status: number | undefined;
  readonly fatal: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: ProgressErrorDetails) {
    super(message);
    this.code = details.code;
    this.status = details.status;
    this.fatal = details.fatal ?? false;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** 401, 403 and other 4xx (but 408 and 429) mean the same request will fail again. */
export function isFatalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Reads the server's JSON error body, tolerating proxies that answer with HTML or nothing. */
export async function errorFromResponse(response: Response): Promise<ProgressError> {
  let code = `http_${response.status}`;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not JSON: keep the status line
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new ProgressError(message, { code, status: response.status, fatal: isFatalStatus(response.status), retryAfterMs });
}
