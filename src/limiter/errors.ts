import { SluiceError, type WaitInfo } from '../errors/index.js';
import type { WaitReason } from './types.js';

const WAITING_ON: Record<WaitReason, string> = {
  rate: 'budget',
  circuit: 'provider unavailable',
  paused: 'provider rate limit',
  day: 'daily budget used',
};

/** A call must wait longer than a worker should hold its slot: the runtime re-queues the shard, delayed. */
export class LimiterWaitError extends SluiceError {
  /** The whole shard waits, not just the record that asked. */
  readonly kind = 'retry-later';
  readonly code = 'limiter_wait';
  override readonly retryAfterMs: number;
  /** Every wait shows in the run's progress: `openai:gpt-4o-mini budget`, `… provider unavailable`. */
  override readonly wait: WaitInfo;

  constructor(
    readonly key: string,
    readonly waitMs: number,
    readonly reason: WaitReason,
  ) {
    super(`${key}: waiting ${Math.ceil(waitMs)} ms (${reason === 'circuit' ? 'provider unavailable' : reason === 'paused' ? 'provider asked to slow down' : reason === 'day' ? 'daily budget used' : 'rate limit'})`);
    this.retryAfterMs = waitMs;
    this.wait = { on: key, reason: WAITING_ON[reason], seenAt: Date.now() };
  }
}

/** A request bigger than the whole per-minute budget: it would never go through, so its record fails now. */
export class RequestTooLargeError extends SluiceError {
  readonly kind = 'record-failed';
  readonly code = 'request_too_large';

  constructor(
    readonly key: string,
    readonly tokens: number,
    readonly limit: number,
  ) {
    super(`${key}: a request of ${tokens} tokens can never fit the budget of ${limit} tokens/min; shorten the input or lower max_tokens`);
  }
}
