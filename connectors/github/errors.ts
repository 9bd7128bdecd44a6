/**
 * Maps GitHub HTTP failures to Sluice's error kinds, so the runtime reacts correctly:
 * a bad token stops the run, a rate limit re-queues the shard without using an attempt.
 * Messages name the endpoint and never carry the token (Octokit already redacts it from `cause`).
 */
import { SourceAuthError, SourceError, SourceRateLimitError, SourceResponseError, parseRetryAfter } from 'sluice';

export const CONNECTOR = 'github';

/** A status the stream may handle itself (404: missing repo or README, 409: empty repo); fails the shard otherwise. */
export class GithubStatusError extends SourceResponseError {
  override readonly code: string = 'github_status';

  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, CONNECTOR, options);
  }
}

export function isStatus(error: unknown, status: number): error is GithubStatusError {
  return error instanceof GithubStatusError && error.status === status;
}

type Headers = Record<string, string | number | undefined>;

interface HttpErrorLike {
  status: number;
  message: string;
  response?: { headers?: Headers; data?: unknown };
}

function isHttpError(error: unknown): error is HttpErrorLike {
  return error instanceof Error && typeof (error as { status?: unknown }).status === 'number';
}

/** Turns whatever Octokit threw for `endpoint` (e.g. "GET /repos/o/r/issues") into a SourceError. */
export function toSourceError(error: unknown, endpoint: string, now = Date.now()): Error {
  if (error instanceof SourceError) return error;
  // A cancelled run: let the runtime see its own abort, not a provider failure.
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (!isHttpError(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new SourceError(`GitHub ${endpoint} failed: ${reason}`, CONNECTOR, { cause: error });
  }
  const { status } = error;
  const headers = error.response?.headers ?? {};
  const message = githubMessage(error);
  const detail = message ? `: ${message}` : '';

  if (status === 401) {
    return new SourceAuthError(`GitHub rejected the token (401): revoked or expired (${endpoint})`, CONNECTOR, { cause: error });
  }
  if (status === 403 || status === 429) {
    const retryAfterMs = rateLimitDelayMs(status, headers, message, now);
    if (retryAfterMs !== undefined) {
      const kind = headers['x-ratelimit-remaining'] === '0' ? 'primary' : 'secondary';
      return new SourceRateLimitError(
        `GitHub ${kind} rate limit on ${endpoint}: retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        CONNECTOR,
        retryAfterMs,
        { cause: error },
      );
    }
    return new SourceAuthError(
      `GitHub refused ${endpoint} (403): the token lacks a scope or permission${detail}`,
      CONNECTOR,
      { cause: error },
    );
  }
  if (status === 404) {
    return new GithubStatusError(`GitHub ${endpoint}: not found (404)`, status, { cause: error });
  }
  if (status >= 400 && status < 500) {
    return new GithubStatusError(`GitHub ${endpoint} answered ${status}${detail}`, status, { cause: error });
  }
  // 5xx and network failures (Octokit reports those as 500) already went through the retry plugin.
  return new SourceError(`GitHub ${endpoint} failed (${status}) after retries${detail}`, CONNECTOR, { cause: error });
}

/**
 * How long GitHub wants us to wait, or undefined when the 403/429 is not a rate limit.
 * Order from GitHub's docs: Retry-After; else x-ratelimit-reset when the quota is spent; else at least a minute.
 */
export function rateLimitDelayMs(status: number, headers: Headers, message: string, now = Date.now()): number | undefined {
  const retryAfter = parseRetryAfter(headers['retry-after'], now);
  if (retryAfter !== undefined) return retryAfter;
  const remaining = String(headers['x-ratelimit-remaining'] ?? '');
  const reset = Number(headers['x-ratelimit-reset']);
  if (remaining === '0' && Number.isFinite(reset) && reset > 0) {
    // One second past the reset: the reset time is truncated to the second.
    return Math.max(reset * 1000 - now + 1000, 1000);
  }
  if (remaining === '0' || status === 429 || /secondary rate limit|abuse detection/i.test(message)) return 60_000;
  return undefined;
}

/** GitHub's own `message` field, without Octokit's documentation_url suffix. */
function githubMessage(error: HttpErrorLike): string {
  const data = error.response?.data;
  if (data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return typeof data === 'string' ? data.slice(0, 200) : '';
}

/** The provider's answer had the wrong shape. */
export function responseError(endpoint: string, problem: string): SourceResponseError {
  return new SourceResponseError(`GitHub ${endpoint} ${problem}`, CONNECTOR);
}
