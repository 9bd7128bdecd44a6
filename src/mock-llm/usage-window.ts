/** The window OpenAI's per-minute limits refill over. */
export const WINDOW_MS = 60_000;

/**
 * Usage against one per-minute limit, refilling continuously (limit/60 s per second) as OpenAI's
 * does: "Used 28039, Requested 3906" of 30000 TPM waits (28039 + 3906 - 30000) / 500 per s = 3.89 s.
 * Usage is kept in unit-milliseconds so the arithmetic stays in integers; the limit is passed in
 * on every call, so changing it at run time keeps what was already used.
 */
export class UsageWindow {
  private usedScaled = 0;
  private updatedAt: number;

  constructor(now: number) {
    this.updatedAt = now;
  }

  /** Refills for the time since the last call. */
  advance(limit: number, now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.usedScaled = Math.max(0, this.usedScaled - elapsed * limit);
    this.updatedAt = Math.max(this.updatedAt, now);
  }

  fits(limit: number, amount: number): boolean {
    return this.usedScaled + amount * WINDOW_MS <= limit * WINDOW_MS;
  }

  charge(amount: number): void {
    this.usedScaled += amount * WINDOW_MS;
  }

  used(): number {
    return Math.ceil(this.usedScaled / WINDOW_MS);
  }

  remaining(limit: number): number {
    return Math.max(0, Math.floor((limit * WINDOW_MS - this.usedScaled) / WINDOW_MS));
  }

  /** Milliseconds until `amount` fits (0 if it fits now). */
  waitFor(limit: number, amount: number): number {
    return Math.max(0, Math.ceil((this.usedScaled + amount * WINDOW_MS - limit * WINDOW_MS) / limit));
  }

  /** Milliseconds until the window is back to its full limit: OpenAI's x-ratelimit-reset-*. */
  untilFull(limit: number): number {
    return Math.ceil(this.usedScaled / limit);
  }
}
