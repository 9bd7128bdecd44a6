/**
 * Conditional list pages (issues, pulls): the ETag of each page URL is kept in ConnectorState
 * with what the page produced, so a 304 (free: it does not count against the rate limit)
 * still tells the run how many records were unchanged and where the next page is.
 *
 * A page of a full listing (`listing` given) also keeps the ids it held and the run that read it:
 * a 304 reports those ids as unchanged, so a sweep keeps them. Its ETag is sent only when that run
 * is no later than `since`, the watermark of the last completed run: a page read by a run that
 * failed (its records may never have reached the sink) is read again in full.
 */
import type { ConnectorState, ItemFailure, SourceRecord } from 'sluice';
import type { GithubApi } from './client.js';

// Keys of the comment listing carry `since`, so old ones pile up with each sync; a week covers any sane sync interval.
const ETAG_TTL_S = 7 * 24 * 3600;

interface StoredPage {
  etag: string;
  /** Records the page produced. */
  count: number;
  next?: string;
  /** Full listings: ids on the page (records and unchanged ids) and the stamp of the run that read it. */
  ids?: string[];
  stamp?: string;
}

/** A page of a full listing: `stamp` is the reading run's, `since` the last completed run's. */
export interface ListingRun {
  stamp: string;
  since: string | undefined;
}

/** Was `stamp` set by a run that has completed? */
export function isTrusted(stamp: string, since: string | undefined): boolean {
  return since !== undefined && Date.parse(stamp) <= Date.parse(since);
}

export interface BuiltPage<T> {
  records: SourceRecord<T>[];
  failures: ItemFailure[];
  watermark?: string;
  /** Ids on the page known unchanged, not sent again. */
  unchangedIds?: string[];
  /** The page was cut short (a rate limit) or has items a 304 must not hide: do not remember its ETag. */
  partial?: boolean;
}

export interface ConditionalPage<T> extends BuiltPage<T> {
  unchanged?: number;
  next?: string;
}

export function etagKey(url: string): string {
  return `etag:${url}`;
}

export async function readConditionalPage<T>(
  api: GithubApi,
  state: ConnectorState,
  url: string,
  build: (data: unknown) => Promise<BuiltPage<T>>,
  listing?: ListingRun,
): Promise<ConditionalPage<T>> {
  const key = etagKey(url);
  let stored = parseStored(await state.get(key));
  if (listing && !(stored?.ids && stored.stamp && isTrusted(stored.stamp, listing.since))) stored = undefined;
  const response = await api.get(url, { etag: stored?.etag });
  if (response.notModified) {
    if (listing && stored?.ids) return { records: [], failures: [], unchanged: stored.ids.length, unchangedIds: stored.ids, next: stored.next };
    return { records: [], failures: [], unchanged: stored?.count ?? 0, next: stored?.next };
  }
  const page = await build(response.data);
  // Only a page read in full is remembered: a later 304 must never hide an item we failed to read.
  if (response.etag && page.failures.length === 0 && !page.partial) {
    const value: StoredPage = { etag: response.etag, count: page.records.length, next: response.next };
    if (listing) Object.assign(value, { ids: [...page.records.map((record) => record.id), ...(page.unchangedIds ?? [])], stamp: listing.stamp });
    await state.set(key, JSON.stringify(value), ETAG_TTL_S);
  }
  const { partial: _partial, ...rest } = page;
  return { ...rest, ...(rest.unchangedIds?.length ? { unchanged: rest.unchangedIds.length } : {}), next: response.next };
}

function parseStored(value: string | undefined): StoredPage | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<StoredPage>;
    if (typeof parsed.etag === 'string' && typeof parsed.count === 'number') return parsed as StoredPage;
  } catch {
    // Unreadable entry: read the page unconditionally and overwrite it.
  }
  return undefined;
}

interface StoredValue<V> {
  etag: string;
  value: V;
}

/**
 * A conditional GET of a single resource (a repo, a tree) reduced by `digest` to a small value,
 * kept with its ETag: a 304 answers with the stored value and costs nothing against the limit.
 * Only values that are facts about the resource are stored, never what a run delivered.
 */
export async function readCached<V>(
  api: GithubApi,
  state: ConnectorState,
  url: string,
  digest: (data: unknown) => Promise<V>,
  isValue: (value: unknown) => value is V,
): Promise<V> {
  const key = `cached:${url}`;
  const stored = parseCached(await state.get(key), isValue);
  const response = await api.get(url, { etag: stored?.etag });
  if (response.notModified) {
    if (stored) return stored.value;
    // Not asked conditionally, so never here; kept for the type.
    throw new Error(`GitHub ${api.endpoint(url)} answered 304 to an unconditional request`);
  }
  const value = await digest(response.data);
  if (response.etag) await state.set(key, JSON.stringify({ etag: response.etag, value } satisfies StoredValue<V>), ETAG_TTL_S);
  return value;
}

function parseCached<V>(value: string | undefined, isValue: (value: unknown) => value is V): StoredValue<V> | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<StoredValue<V>>;
    if (typeof parsed.etag === 'string' && isValue(parsed.value)) return parsed as StoredValue<V>;
  } catch {
    // Unreadable entry: read unconditionally and overwrite it.
  }
  return undefined;
}
