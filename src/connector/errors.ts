import { SluiceError, type ErrorKind, type WaitInfo } from '../errors/index.js';

/**
 * Errors a connector throws so the runtime can react correctly: an auth failure or a permanent
 * misconfiguration stops the run at once, a rate limit delays the shard without using an attempt,
 * anything else about the source fails the shard with a message that names what was wrong.
 */
export class SourceError extends SluiceError {
  /** A source failing (after the client's own retries) may recover: the shard is retried with backoff. */
  readonly kind: ErrorKind = 'retry';
  readonly code: string = 'source_failed';

  constructor(
    message: string,
    readonly connector: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Credentials are missing, revoked or lack a scope. Retrying cannot help: the run fails fast. */
export class SourceAuthError extends SourceError {
  override readonly kind: ErrorKind = 'run-fatal';
  override readonly code: string = 'source_auth';
}

/**
 * The user's grant itself is gone (OAuth `invalid_grant`: revoked, or the refresh token expired):
 * unlike a refused access token, fresh credentials cannot help, so the run fails without asking
 * the provider again. The user must reconnect.
 */
export class SourceRevokedError extends SourceAuthError {
  override readonly code: string = 'source_revoked';
}

/** The source is set up wrong (a missing root, a path that is not a directory): no retry can fix it. */
export class SourceConfigError extends SourceError {
  override readonly kind: ErrorKind = 'run-fatal';
  override readonly code: string = 'source_config';
}

/**
 * The provider asked us to slow down. The shard is re-queued after `retryAfterMs` (the limit's reset
 * where the source says it), attempts untouched, and the run shows `waiting: <connector> rate limit`.
 */
export class SourceRateLimitError extends SourceError {
  override readonly kind: ErrorKind = 'retry-later';
  override readonly code: string = 'source_rate_limit';
  override readonly wait: WaitInfo;

  constructor(
    message: string,
    connector: string,
    override readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, connector, options);
    this.wait = { on: connector, reason: 'rate limit' };
  }
}

/**
 * The provider answered with something we cannot use (malformed JSON, unexpected shape). Retried:
 * a page read is a whole shard, and a truncated body or a proxy's error page can pass; a record the
 * source cannot read belongs in the page's `failures` instead.
 */
export class SourceResponseError extends SourceError {
  override readonly code: string = 'source_response';
}
