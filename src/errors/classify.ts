import { isSluiceError, type WaitInfo } from './sluice-error.js';

/** What becomes of the shard whose processing threw. */
export type ErrorDecision =
  /** The run fails now, whatever attempts remain. */
  | { action: 'fail-run' }
  /** Back to the queue after `delayMs`, without using an attempt and without holding the slot. */
  | { action: 'delay'; delayMs: number; wait?: WaitInfo }
  /** Retried with backoff while attempts remain, then given up. */
  | { action: 'retry' }
  /** Given up now: a batch's records count as failed and the run goes on; a page fails its run. */
  | { action: 'give-up' };

/** A `retry-later` error that did not say how long: a polite minimum rather than a busy loop. */
const DEFAULT_RETRY_AFTER_MS = 1000;

/** The one place that turns any thrown value into a shard's outcome. Foreign errors are retried. */
export function classifyError(error: unknown): ErrorDecision {
  if (!isSluiceError(error)) return { action: 'retry' };
  const kind = error.kind;
  switch (kind) {
    case 'run-fatal':
      return { action: 'fail-run' };
    case 'retry-later': {
      const after = error.retryAfterMs;
      const delayMs = typeof after === 'number' && Number.isFinite(after) && after >= 0 ? after : DEFAULT_RETRY_AFTER_MS;
      return error.wait ? { action: 'delay', delayMs, wait: error.wait } : { action: 'delay', delayMs };
    }
    case 'retry':
      return { action: 'retry' };
    case 'record-failed':
      return { action: 'give-up' };
    default: {
      // A new kind fails to compile here until it is decided; at run time the guard already let only known kinds in.
      const unhandled: never = kind;
      void unhandled;
      return { action: 'retry' };
    }
  }
}

/**
 * Whether an error thrown while transforming one record concerns the whole shard (a wait, an
 * outage, revoked credentials) rather than that record. A foreign error is the record's own.
 */
export function concernsShard(error: unknown): boolean {
  return isSluiceError(error) && error.kind !== 'record-failed';
}
