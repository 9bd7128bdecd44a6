import type { WaitReason } from './types.js';

/** A call must wait longer than a worker should hold its slot: the runtime re-queues the shard, delayed. */
export class LimiterWaitError extends Error {
  override name = 'LimiterWaitError';
  /** The whole shard waits, not just the record that asked. */
  readonly interruptsShard = true;
  constructor(
    readonly key: string,
    readonly waitMs: number,
    readonly reason: WaitReason,
  ) {
    super(`${key}: waiting ${Math.ceil(waitMs)} ms (${reason === 'circuit' ? 'provider unavailable' : reason === 'paused' ? 'provider asked to slow down' : reason === 'day' ? 'daily budget used' : 'rate limit'})`);
  }
}

/** A request bigger than the whole per-minute budget: it would never go through, so it fails now. */
export class RequestTooLargeError extends Error {
  override name = 'RequestTooLargeError';
  constructor(
    readonly key: string,
    readonly tokens: number,
    readonly limit: number,
  ) {
    super(`${key}: a request of ${tokens} tokens can never fit the budget of ${limit} tokens/min; shorten the input or lower max_tokens`);
  }
}
