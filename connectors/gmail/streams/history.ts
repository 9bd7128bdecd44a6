/** What a page of Gmail's history says changed. */

/** Messages deleted, and those whose content or labels may have changed (to fetch as they are now). */
export function historyChanges(history: HistoryRecord[]) {
  const deleted = new Set<string>();
  const touched = new Set<string>();
  for (const record of history) {
    for (const c of record.messagesDeleted ?? []) if (c.message?.id) deleted.add(c.message.id);
    for (const c of [...(record.messagesAdded ?? []), ...(record.labelsAdded ?? []), ...(record.labelsRemoved ?? [])]) {
      if (c.message?.id) touched.add(c.message.id);
    }
  }
  for (const id of deleted) touched.delete(id);
  return { deleted: [...deleted], touched: [...touched] };
}
type Change = { message?: { id?: string | null; threadId?: string | null } | null };
export type HistoryRecord = { messagesAdded?: Change[] | null; messagesDeleted?: Change[] | null; labelsAdded?: Change[] | null; labelsRemoved?: Change[] | null };

/** Threads any change touched (a deleted message changes its thread too). */
export function touchedThreads(history: HistoryRecord[]): string[] {
  const threads = new Set<string>();
  for (const record of history) {
    for (const c of [...(record.messagesAdded ?? []), ...(record.messagesDeleted ?? []), ...(record.labelsAdded ?? []), ...(record.labelsRemoved ?? [])]) {
      if (c.message?.threadId) threads.add(c.message.threadId);
    }
  }
  return [...threads];
}
