/**
 * Conditional list pages (issues, pulls): the ETag of each page URL is kept in ConnectorState
 * with what the page produced, so a 304 (free: it does not count against the rate limit)
 * still tells the run how many records were unchanged and where the next page is.
 */
import type { ConnectorState, ItemFailure, SourceRecord } from 'sluice';
import type { GithubApi } from './http.js';

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
  if (response.etag && page.failures.length === 0) {
    const value: StoredPage = { etag: response.etag, count: page.records.length, next: response.next, oldest: page.oldest };
    await state.set(key, JSON.stringify(value), ETAG_TTL_S);
  }
  return { ...page, next: response.next };
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
