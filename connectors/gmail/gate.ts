/**
 * Bounds one user's Gmail requests in flight in this process: Gmail answers 429 "Too many
 * concurrent requests for user" beyond a few dozen, and several shards of one user can run in one
 * worker at once, so the bound is per user, not per read.
 */
export class UserGate {
  private readonly users = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly limit: number) {}

  async run<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    let user = this.users.get(userId);
    if (!user) this.users.set(userId, (user = { active: 0, waiting: [] }));
    if (user.active >= this.limit) await new Promise<void>((resolve) => user.waiting.push(resolve));
    else user.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never drops below the true count.
      const next = user.waiting.shift();
      if (next) next();
      else if (--user.active === 0) this.users.delete(userId);
    }
  }
}
