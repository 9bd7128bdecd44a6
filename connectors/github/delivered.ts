/**
 * Blob shas of the files a repo's earlier syncs delivered, so a re-sync downloads only what the tree
 * says changed. Each entry is stamped with the run that delivered it (the walk's `until`, also the
 * files stream's watermark). An entry is trusted only when its run is no later than `since`, the
 * watermark of the last *completed* run: content delivered by a run that failed, or by the run in
 * progress (a retried page), is downloaded again.
 *
 * Residual risk: a completed run whose batch failed after delivery (a step error, a sink outage
 * past its attempts) still stamps the file; it is read again only when its content changes.
 */
import { z } from 'zod';
import type { ConnectorState } from 'sluice';

/** [blob sha, stamp of the delivering run, 1 when it was text (a record), 0 when skipped as binary]. */
const entry = z.tuple([z.string(), z.string(), z.union([z.literal(0), z.literal(1)])]);
const map = z.record(z.string(), entry);
export type Delivered = z.infer<typeof map>;

const key = (repo: string) => `files:${repo}`;

export async function loadDelivered(state: ConnectorState, repo: string): Promise<Delivered> {
  const value = await state.get(key(repo));
  if (!value) return {};
  try {
    const parsed = map.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : {};
  } catch {
    // Unreadable: trust nothing, every file is read again.
    return {};
  }
}

/** The entry for `path` at `sha`, when a completed run delivered it. */
export function trusted(delivered: Delivered, path: string, sha: string, since: string | undefined): Delivered[string] | undefined {
  const found = delivered[path];
  if (!found || since === undefined || found[0] !== sha) return undefined;
  return Date.parse(found[1]) <= Date.parse(since) ? found : undefined;
}

/**
 * Records what a read delivered. Read-modify-write: pages of one repo follow each other. A lost
 * update only makes a file look new, so the next sync reads it again.
 */
export async function recordDelivered(
  state: ConnectorState,
  repo: string,
  stamp: string,
  files: readonly { path: string; sha: string; text: boolean }[],
): Promise<void> {
  if (files.length === 0) return;
  const delivered = await loadDelivered(state, repo);
  for (const file of files) delivered[file.path] = [file.sha, stamp, file.text ? 1 : 0];
  await state.set(key(repo), JSON.stringify(delivered));
}

/** Forgets paths that left the tree: a file deleted, then restored as it was, must be read again. */
export async function pruneDelivered(state: ConnectorState, repo: string, delivered: Delivered, paths: ReadonlySet<string>): Promise<void> {
  const stale = Object.keys(delivered).filter((path) => !paths.has(path));
  if (stale.length === 0) return;
  for (const path of stale) delete delivered[path];
  await state.set(key(repo), JSON.stringify(delivered));
}
