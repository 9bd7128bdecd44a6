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
