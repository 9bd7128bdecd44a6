/**
 * Maps Gmail HTTP failures to Sluice's error kinds: a revoked grant stops the run, a rate limit
 * re-queues the shard for the time Gmail asked without using an attempt, 5xx is retried.
 * Messages name the call and never carry a token.
 */
import { isSluiceError, SourceAuthError, SourceError, SourceRateLimitError, SourceResponseError, SourceRevokedError, parseRetryAfter } from 'sluice';

export const CONNECTOR = 'gmail';

/** Wait when Gmail gives no time: its per-user budget is per minute. */
const DEFAULT_RATE_LIMIT_WAIT_MS = 30_000;

interface HttpErrorLike {
  status?: number;
  response?: { status?: number; headers?: unknown; data?: unknown };
  name?: string;
  message: string;
}

export function httpStatus(error: unknown): number | undefined {
  const e = error as HttpErrorLike | undefined;
  return e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
}

/** Google's `{ error: { message, errors: [{ reason }] } }`, or OAuth's `{ error: 'invalid_grant' }`. */
export function googleReason(error: unknown): { reason: string; message: string } {
  const data = (error as HttpErrorLike | undefined)?.response?.data as Record<string, unknown> | undefined;
  if (data && typeof data.error === 'string') return { reason: data.error, message: String(data.error_description ?? data.error) };
  const body = data?.error as { message?: string; errors?: { reason?: string }[] } | undefined;
  return { reason: body?.errors?.[0]?.reason ?? '', message: body?.message ?? '' };
}

export function isInvalidGrant(error: unknown): boolean {
  return googleReason(error).reason === 'invalid_grant';
}

export function revokedError(userId: string, cause?: unknown): SourceRevokedError {
  return new SourceRevokedError(
    `Gmail access of user ${userId} was revoked or expired (invalid_grant): the user must connect Gmail again`,
    CONNECTOR,
    { cause },
  );
}

/** Whatever a Gmail call (`call`, e.g. "users.messages.get") threw, as a SourceError. */
export function toSourceError(error: unknown, call: string, now = Date.now()): Error {
  // Already classified: ours, or the shared limiter asking the shard to wait (retry-later, no attempt used).
  if (isSluiceError(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const status = httpStatus(error);
  const { reason, message } = googleReason(error);
  const detail = message ? `: ${message}` : '';
  if (status === undefined) {
    return new SourceError(`Gmail ${call} failed: ${error instanceof Error ? error.message : String(error)}`, CONNECTOR, { cause: error });
  }
  if (status === 429 || (status === 403 && /rateLimitExceeded|userRateLimitExceeded|quotaExceeded/.test(reason))) {
    const waitMs = retryAfterMs(error, message, now);
    return new SourceRateLimitError(
      `Gmail rate limit on ${call} (${status} ${reason || 'rateLimitExceeded'}): retry in ${Math.ceil(waitMs / 1000)} s`,
      CONNECTOR,
      waitMs,
      { cause: error },
    );
  }
  if (status === 401) return new SourceAuthError(`Gmail refused the access token on ${call} (401)${detail}`, CONNECTOR, { cause: error });
  if (status === 403) return new SourceAuthError(`Gmail refused ${call} (403 ${reason}): the grant lacks a scope or access${detail}`, CONNECTOR, { cause: error });
  if (status >= 500) return new SourceError(`Gmail ${call} failed (${status})${detail}`, CONNECTOR, { cause: error });
  return new SourceResponseError(`Gmail ${call} answered ${status}${detail}`, CONNECTOR, { cause: error });
}

/** Retry-After when sent; else the time in Gmail's "Retry after <ISO time>"; else half a minute. */
function retryAfterMs(error: unknown, message: string, now: number): number {
  const headers = (error as HttpErrorLike).response?.headers;
  const header = headers instanceof Headers ? headers.get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after'];
  const fromHeader = parseRetryAfter(header ?? undefined, now);
  if (fromHeader !== undefined) return fromHeader;
  const at = /retry after (\S+)/i.exec(message)?.[1];
  const time = at ? Date.parse(at) : NaN;
  if (!Number.isNaN(time)) return Math.max(time - now, 1000);
  return DEFAULT_RATE_LIMIT_WAIT_MS;
}
