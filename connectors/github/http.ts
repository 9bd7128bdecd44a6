/**
 * The few HTTP verbs the streams need, on top of Octokit: one GET, conditional or not,
 * and a full walk of a small list. Every failure leaves here as a SourceError.
 */
import type { GithubOctokit } from './client.js';
import { SourceResponseError } from 'sluice';
import { CONNECTOR, responseError, toSourceError } from './errors.js';
import type { ResolvedOptions } from './options.js';

export interface Fetched {
  notModified?: false;
  data: unknown;
  etag?: string;
  /** URL of the next page, from the Link header. */
  next?: string;
}

export interface NotModified {
  notModified: true;
}

type Query = Record<string, string | number | boolean | undefined>;

export class GithubApi {
  private readonly base: URL;

  constructor(
    private readonly octokit: GithubOctokit,
    readonly options: ResolvedOptions,
    private readonly signal?: AbortSignal,
  ) {
    this.base = new URL(options.baseUrl);
  }

  /** Absolute URL of an API path (already escaped by the caller) under baseUrl. */
  url(path: string, query: Query = {}): string {
    const url = new URL(this.options.baseUrl + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  /** How messages name a request: "GET /repos/o/r/issues", relative to baseUrl, without the query. */
  endpoint(url: string): string {
    const { pathname } = new URL(url);
    const prefix = this.base.pathname.replace(/\/$/, '');
    return `GET ${prefix && pathname.startsWith(prefix) ? pathname.slice(prefix.length) || '/' : pathname}`;
  }

  /** One GET. With `etag`, a 304 resolves to `{ notModified: true }`: free, 304s do not count against the rate limit. */
  async get(url: string, init: { etag?: string } = {}): Promise<Fetched | NotModified> {
    this.assertOwnOrigin(url);
    const endpoint = this.endpoint(url);
    try {
      const response = await this.octokit.request({
        method: 'GET',
        url,
        headers: {
          'x-github-api-version': '2022-11-28',
          ...(init.etag ? { 'if-none-match': init.etag } : {}),
        },
        request: { signal: this.signal },
      });
      const headers = response.headers as Record<string, string | undefined>;
      const next = parseNextLink(headers.link);
      if (next) this.assertOwnOrigin(next);
      return { data: response.data, etag: headers.etag, next };
    } catch (error) {
      // Octokit reports 304 as an error; for a conditional request it is the good news.
      if (init.etag && (error as { status?: unknown }).status === 304) return { notModified: true };
      throw toSourceError(error, endpoint);
    }
  }

  async getFresh(url: string): Promise<Fetched> {
    return (await this.get(url)) as Fetched;
  }

  /** Every page of a list that is small enough to read in one go (an issue's comments). */
  async getAll(url: string): Promise<unknown[]> {
    const items: unknown[] = [];
    for (let next: string | undefined = url; next; ) {
      const page = await this.getFresh(next);
      if (!Array.isArray(page.data)) throw responseError(this.endpoint(next), `returned ${describe(page.data)} where a list was expected`);
      items.push(...page.data);
      next = page.next;
    }
    return items;
  }

  /** Links and URLs in payloads come from the server: never send the token to another host. */
  private assertOwnOrigin(url: string): void {
    if (!URL.canParse(url) || new URL(url).origin !== this.base.origin) {
      throw new SourceResponseError(`GitHub sent a URL outside ${this.base.origin}: ${url.slice(0, 200)}`, CONNECTOR);
    }
  }
}

/** The rel="next" target of a Link header. Parsed whole: URLs may contain commas. */
export function parseNextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const match of link.matchAll(/<([^>]*)>\s*;\s*rel="([^"]*)"/g)) {
    if (match[2]?.split(/\s+/).includes('next')) return match[1];
  }
  return undefined;
}

/** A short description of an unexpected payload, for error messages. */
export function describe(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (data instanceof ArrayBuffer) return 'binary data';
  if (typeof data === 'object') return 'an object';
  if (typeof data === 'string') return data.trim().startsWith('<') ? 'HTML' : 'text';
  return typeof data;
}
