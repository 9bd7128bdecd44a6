import { HttpError } from './http-error.js';
import type { SseSession } from './sse-session.js';

/**
 * The event streams open on this instance, per user: enforces the per-user cap and lets shutdown
 * end them all. Only a guard for one process; correctness never depends on it.
 */
export class StreamRegistry {
  private readonly byUser = new Map<string, Set<SseSession>>();
  private closing = false;

  constructor(private readonly maxPerUser: number) {}

  /** Builds and registers a stream for the user, or refuses with 429 (cap) or 503 (shutting down). */
  open(userId: string, create: (onEnd: () => void) => SseSession): SseSession {
    if (this.closing) throw new HttpError(503, 'shutting_down', 'this server is shutting down; reconnect');
    const sessions = this.byUser.get(userId) ?? new Set<SseSession>();
    if (sessions.size >= this.maxPerUser) {
      throw new HttpError(429, 'too_many_streams', `user already has ${sessions.size} open progress streams on this server (limit ${this.maxPerUser})`);
    }
    const session = create(() => {
      sessions.delete(session);
      if (sessions.size === 0 && this.byUser.get(userId) === sessions) this.byUser.delete(userId);
    });
    sessions.add(session);
    this.byUser.set(userId, sessions);
    return session;
  }

  get size(): number {
    let total = 0;
    for (const sessions of this.byUser.values()) total += sessions.size;
    return total;
  }

  /** Refuses new streams and ends every open one. */
  closeAll(): void {
    this.closing = true;
    for (const sessions of [...this.byUser.values()]) for (const session of [...sessions]) session.close();
  }
}
