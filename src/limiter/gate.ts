import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process's turn to ask Redis for a limiter key. Callers queue in-process (better priority
 * first), one asks at a time, and a refusal's wait is remembered: callers of the same or a worse
 * priority wait it out here, or learn at once that it is longer than they may hold their slot,
 * without asking Redis again. Many callers over a small budget then cost about one script call per
 * grant, not one per caller per wake-up. A better-priority caller is not held by a worse one's
 * refusal: it asks, and so registers in the limiter's queue of waiters.
 */
export class AskGate {
  private readonly queue: { priority: number; go: () => void }[] = [];
  private busy = false;
  /** By priority: no ask before `until` (epoch ms), the last refusal at that priority said so. */
  private readonly refusals = new Map<number, { until: number; reason: string }>();

  /**
   * Waits for this caller's turn and for any remembered wait that holds it. Resolves with a release
   * to call after asking (with the refusal's wait, if refused); or, when the remembered wait would
   * pass `deadline`, with that wait instead (the turn is passed on).
   */
  async enter(priority: number, deadline: number): Promise<{ release: (refusedForMs?: number, reason?: string) => void } | { waitMs: number; reason: string }> {
    if (this.busy) await new Promise<void>((go) => this.insert({ priority, go }));
    this.busy = true;
    const held = this.heldBy(priority);
    if (held) {
      const due = held.until - Date.now();
      if (Date.now() + due > deadline) {
        this.pass();
        return { waitMs: due, reason: held.reason };
      }
      await sleep(due);
    }
    let released = false;
    return {
      release: (refusedForMs, reason = 'rate') => {
        if (released) return;
        released = true;
        if (refusedForMs !== undefined && refusedForMs > 0) this.refusals.set(priority, { until: Date.now() + refusedForMs, reason });
        this.pass();
      },
    };
  }

  /** Nobody asking or queued, and no refusal still running: the gate can be dropped and made anew. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0 && this.heldBy(Number.POSITIVE_INFINITY) === undefined;
  }

  /** The latest wait still running among refusals at this priority or a better one. */
  private heldBy(priority: number): { until: number; reason: string } | undefined {
    const now = Date.now();
    let held: { until: number; reason: string } | undefined;
    for (const [p, refusal] of this.refusals) {
      if (refusal.until <= now) this.refusals.delete(p);
      else if (p <= priority && (!held || refusal.until > held.until)) held = refusal;
    }
    return held;
  }

  private insert(waiter: { priority: number; go: () => void }): void {
    const at = this.queue.findIndex((w) => w.priority > waiter.priority);
    this.queue.splice(at === -1 ? this.queue.length : at, 0, waiter);
  }

  private pass(): void {
    const next = this.queue.shift();
    if (next) next.go();
    else this.busy = false;
  }
}
