/**
 * Errors a connector throws so the runtime can react correctly:
 * an auth failure stops the run at once, a rate limit delays the shard without using an attempt,
 * a bad response fails the shard with a message that names what was wrong.
 */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly connector: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Credentials are missing, revoked or lack a scope. Retrying cannot help: the run fails fast. */
export class SourceAuthError extends SourceError {}

/** The provider asked us to slow down. The shard is re-queued after `retryAfterMs`, attempts untouched. */
export class SourceRateLimitError extends SourceError {
  constructor(
    message: string,
    connector: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, connector, options);
  }
}

/** The provider answered with something we cannot use (malformed JSON, unexpected shape). */
export class SourceResponseError extends SourceError {}
