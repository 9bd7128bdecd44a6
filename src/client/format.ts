/** "about 2 min left": an ETA is a rough figure, so it reads as one. */
export function formatEta(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  if (seconds < 45) return 'less than a minute left';
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 90) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `about ${hours} h left` : `about ${hours} h ${rest} min left`;
}

/** "1,234": counts read better grouped; `en` keeps output stable across machines. */
export function formatCount(n: number): string {
  return n.toLocaleString('en');
}

/**
 * "waiting: github rate limit until 14:05": what a run waits on, and until when in the reader's
 * local time (`timeZone` fixes it, for tests and servers). No time when the end is unknown or past.
 * A wait with `since` counts up instead: "waiting: openai:gpt-4o-mini llm call in flight 7 s".
 */
export function formatWaiting(waiting: { on: string; reason: string; until?: string; since?: string }, now = Date.now(), timeZone?: string): string {
  const what = waiting.reason.startsWith(waiting.on) ? waiting.reason : `${waiting.on} ${waiting.reason}`;
  // A wait that counts up (a call in flight): for how long so far.
  const since = waiting.since ? Date.parse(waiting.since) : NaN;
  if (Number.isFinite(since)) return `waiting: ${what} ${formatSpan(now - since)}`;
  const ends = waiting.until ? Date.parse(waiting.until) : NaN;
  if (!Number.isFinite(ends) || ends <= now) return `waiting: ${what}`;
  const time = new Date(ends).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, ...(timeZone ? { timeZone } : {}) });
  return `waiting: ${what} until ${time}`;
}

/** "3 deleted", only when the run removed records from the sink (a re-sync that saw them gone). */
export function formatDeleted(deleted: number | undefined): string | undefined {
  return deleted && deleted > 0 ? `${formatCount(deleted)} deleted` : undefined;
}

/** "3 h", "5 min", "40 s": a rough span for "next sync in …" and "last synced … ago". */
export function formatSpan(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} d`;
}

/** "next sync in 3 h" / "last synced 5 min ago" for a run's schedule, as of `now`. */
export function formatSyncTimes(times: { nextRunAt?: string; lastSyncedAt?: string; paused?: string }, now: number): string | undefined {
  const parts: string[] = [];
  if (times.lastSyncedAt) parts.push(`last synced ${formatSpan(now - Date.parse(times.lastSyncedAt))} ago`);
  if (times.paused !== undefined) parts.push(times.paused ? `sync paused: ${times.paused}` : 'sync paused');
  else if (times.nextRunAt) parts.push(`next sync in ${formatSpan(Date.parse(times.nextRunAt) - now)}`);
  return parts.length ? parts.join(' · ') : undefined;
}
