import { isSluiceError } from '../errors/index.js';

/**
 * How many jobs a worker takes at once while an LLM budget is the bottleneck. Slots beyond what the
 * budget can serve only start batches whose calls then wait past `maxWaitInWorkerMs`: the batch goes
 * back to the queue and starts over, paying its job moves, checks and cache lookups again. So each
 * batch deferred for budget gives up one slot (down to one), and a slot comes back after every
 * `recoverMs` without such a deferral. No slot sleeps longer for it: a slot given up is not taken.
 */
export class SlotGovernor {
  private current: number;
  /** When a slot was last given up or given back. */
  private changedAt = 0;

  constructor(
    private readonly max: number,
    private readonly recoverMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.current = max;
  }

  /** Slots this worker may use now. */
  get slots(): number {
    while (this.current < this.max && this.now() - this.changedAt >= this.recoverMs) {
      this.current += 1;
      this.changedAt += this.recoverMs;
    }
    return this.current;
  }

  /** A shard ended (`error` undefined: it succeeded); a wait for LLM budget, not a pause or an outage, gives up a slot. */
  ended(error?: unknown): number {
    if (isBudgetWait(error)) {
      this.current = Math.max(1, this.slots - 1);
      this.changedAt = this.now();
    }
    return this.slots;
  }
}

/** A limiter's rate wait, by brand, code and reason (never `instanceof`, see handle-failure). */
function isBudgetWait(error: unknown): boolean {
  return isSluiceError(error) && error.code === 'limiter_wait' && (error as { reason?: unknown }).reason === 'rate';
}
