/**
 * What the runtime does with an error is decided by its kind, never by its class or name:
 * - `run-fatal`: no retry can fix it (revoked credentials, a permanent misconfiguration); the run fails at once.
 * - `retry-later`: try again after `retryAfterMs` without using an attempt (rate limits, limiter waits).
 * - `retry`: transient (5xx, timeouts); retried with backoff while attempts remain.
 * - `record-failed`: only the record being processed fails; the batch moves on.
 */
export const ERROR_KINDS = ['run-fatal', 'retry-later', 'retry', 'record-failed'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** What a shard waits on, shown in its run's progress (`waiting: github rate limit until 14:05`). */
export interface WaitInfo {
  /** The budget or provider waited on, e.g. `openai:gpt-4o-mini`. */
  on: string;
  reason: string;
  /** When the wait was learned (epoch ms): a paid answer on `on` after it means the wait is already over. */
  seenAt?: number;
}

/**
 * The brand that recognises Sluice errors. A config file is loaded as its own module graph, so the
 * classes its connectors and steps throw are copies of the runtime's and `instanceof` fails across
 * them; `Symbol.for` gives every copy the same symbol.
 */
export const SLUICE_ERROR: unique symbol = Symbol.for('sluice.error');

/** Base of every error Sluice throws to say what should happen next. `name` is the class name. */
export abstract class SluiceError extends Error {
  abstract readonly kind: ErrorKind;
  /** Stable and machine-readable, unlike the message: match on this. */
  abstract readonly code: string;
  /** `retry-later`: how long to wait before the next try. */
  declare readonly retryAfterMs?: number;
  /** `retry-later`: what the run waits on, shown in its progress until work moves on after the wait. */
  declare readonly wait?: WaitInfo;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  /** On the prototype, so it stays out of logs and `util.inspect`. */
  get [SLUICE_ERROR](): true {
    return true;
  }
}

/** True for an error of any copy of Sluice whose kind this copy knows. */
export function isSluiceError(error: unknown): error is SluiceError {
  if (typeof error !== 'object' || error === null) return false;
  const { [SLUICE_ERROR]: brand, kind } = error as { [SLUICE_ERROR]?: unknown; kind?: unknown };
  return brand === true && (ERROR_KINDS as readonly unknown[]).includes(kind);
}

/** A caller passed a value Sluice cannot use (a user id, a pipeline id, run input): fix the call. */
export class InvalidInputError extends SluiceError {
  readonly kind = 'run-fatal';
  readonly code: string = 'invalid_input';
}

/** A user asked for more runs at once than the config allows. */
export class TooManyRunsError extends InvalidInputError {
  override readonly code: string = 'too_many_runs';
}
