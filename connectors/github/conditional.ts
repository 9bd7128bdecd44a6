/**
 * Conditional list pages (issues, pulls): the ETag of each page URL is kept in ConnectorState
 * with what the page produced, so a 304 (free: it does not count against the rate limit)
 * still tells the run how many records were unchanged and where the next page is.
 */
import type { ConnectorState, ItemFailure, SourceRecord } from 'sluice';
import type { GithubApi } from './client.js';

// Keys carry `since`, so old ones pile up with each sync; a week covers any sane sync interval.
const ETAG_TTL_S = 7 * 24 * 3600;

interface StoredPage {
  etag: string;
  /** Records the page produced. */
  count: number;
  next?: string;
  /** Oldest updated_at on the page, for streams that stop at `since` (pulls). */
  oldest?: string;
}

export interface BuiltPage<T> {
  records: SourceRecord<T>[];
  failures: ItemFailure[];
  watermark?: string;
  oldest?: string;
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
): Promise<ConditionalPage<T>> {
  const key = etagKey(url);
  const stored = parseStored(await state.get(key));
  const response = await api.get(url, { etag: stored?.etag });
  if (response.notModified) {
    return { records: [], failures: [], unchanged: stored?.count ?? 0, next: stored?.next, oldest: stored?.oldest };
  }
  const page = await build(response.data);
  // Only a page read in full is remembered: a later 304 must never hide an item we failed to read.
  if (response.etag && page.failures.length === 0 && !page.partial) {
    const value: StoredPage = { etag: response.etag, count: page.records.length, next: response.next, oldest: page.oldest };
    await state.set(key, JSON.stringify(value), ETAG_TTL_S);
  }
  const { partial: _partial, ...rest } = page;
  return { ...rest, next: response.next };
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
