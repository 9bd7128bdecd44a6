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

/**
 * Storage: a base map per repo, plus one map per slice of the run that is reading it, since the
 * slices of one repo are read in parallel (a shared read-modify-write would lose their updates).
 * An index names the current run's slices; listing the repo again folds them into the base.
 */
const key = (repo: string) => `files:${repo}`;
const indexKey = (repo: string) => `files:${repo}:slices`;
const sliceKey = (repo: string, run: string, slice: number) => `files:${repo}@${run}#${slice}`;
const sliceIndex = z.object({ run: z.string(), slices: z.array(z.number().int()) });

async function readMap(state: ConnectorState, at: string): Promise<Delivered> {
  const value = await state.get(at);
  if (!value) return {};
  try {
    const parsed = map.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : {};
  } catch {
    // Unreadable: trust nothing, every file is read again.
    return {};
  }
}

async function readIndex(state: ConnectorState, repo: string): Promise<z.infer<typeof sliceIndex> | undefined> {
  try {
    const parsed = sliceIndex.safeParse(JSON.parse((await state.get(indexKey(repo))) ?? 'null'));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What earlier reads delivered: the base with the slices of the latest listing over it. */
export async function loadDelivered(state: ConnectorState, repo: string): Promise<Delivered> {
  const [delivered, index] = await Promise.all([readMap(state, key(repo)), readIndex(state, repo)]);
  if (index) {
    const slices = await Promise.all(index.slices.map((slice) => readMap(state, sliceKey(repo, index.run, slice))));
    for (const slice of slices) Object.assign(delivered, slice);
  }
  return delivered;
}

/** The entry for `path` at `sha`, when a completed run delivered it. */
export function trusted(delivered: Delivered, path: string, sha: string, since: string | undefined): Delivered[string] | undefined {
  const found = delivered[path];
  if (!found || since === undefined || found[0] !== sha) return undefined;
  return Date.parse(found[1]) <= Date.parse(since) ? found : undefined;
}

/**
 * Called when the repo is listed: folds what earlier slices delivered into the base, forgets paths
 * that left the tree (a file deleted, then restored as it was, must be read again) and names the
 * slices `run` is about to read. `delivered` is what loadDelivered returned.
 */
export async function startSlices(
  state: ConnectorState,
  repo: string,
  delivered: Delivered,
  paths: ReadonlySet<string>,
  run: string,
  slices: readonly number[],
): Promise<void> {
  for (const path of Object.keys(delivered)) if (!paths.has(path)) delete delivered[path];
  // Base first: a crash between the two leaves the old index, whose slices are already in the base.
  await state.set(key(repo), JSON.stringify(delivered));
  await state.set(indexKey(repo), JSON.stringify({ run, slices }));
}

/**
 * Records what a read of one slice delivered. Read-modify-write of the slice's own map: the
 * reads of one slice follow each other. A lost update only makes a file look new, so the next
 * sync reads it again.
 */
export async function recordDelivered(
  state: ConnectorState,
  repo: string,
  at: { stamp: string; slice: number },
  files: readonly { path: string; sha: string; text: boolean }[],
): Promise<void> {
  if (files.length === 0) return;
  const sliceAt = sliceKey(repo, at.stamp, at.slice);
  const delivered = await readMap(state, sliceAt);
  for (const file of files) delivered[file.path] = [file.sha, at.stamp, file.text ? 1 : 0];
  await state.set(sliceAt, JSON.stringify(delivered));
}
