/**
 * The GitHub HTTP client: one Octokit per token, with GitHub's recommended throttling and small
 * 5xx retries, under the few verbs the streams need (one GET, conditional or not, and a full walk of
 * a small list). Every failure leaves here as a SourceError.
 * Sluice's rule is "never hold a worker slot to wait": long rate-limit waits become a
 * SourceRateLimitError and the runtime re-queues the shard instead of sleeping here.
 */
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import { SourceAuthError, SourceError, SourceRateLimitError, SourceResponseError, type ReadContext } from 'sluice';
import { CONNECTOR, responseError, toSourceError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { RateGate } from './rate-gate.js';

const ThrottledOctokit = Octokit.plugin(throttling, retry);
/** Typed as the base client: the plugins change behaviour, not the API we call. */
export type GithubOctokit = Octokit;

/** Longest wait (seconds) we accept inside the process, and only once per request. */
const MAX_IN_PROCESS_WAIT_S = 2;
/**
 * Requests in flight per read (blobs of a files page, comment lists of an issues page): GitHub asks
 * clients not to hammer it concurrently, but one at a time makes a page of 100 needlessly slow.
 */
export const REQUESTS_IN_FLIGHT = 4;
/** Bounded so rotated tokens of many users do not pile up in memory. */
const MAX_CACHED_CLIENTS = 200;

const quiet = () => {};

function shortWaitOnly(retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number): boolean {
  return retryAfter <= MAX_IN_PROCESS_WAIT_S && retryCount < 1;
}

function createOctokit(token: string, tokenHash: string, options: ResolvedOptions): GithubOctokit {
  return new ThrottledOctokit({
    auth: token,
    baseUrl: options.baseUrl,
    userAgent: options.userAgent,
    // Octokit's request log would print every 404 we handle on purpose; errors are mapped and thrown instead.
    log: { debug: quiet, info: quiet, warn: console.warn, error: quiet },
    throttle: {
      // Bottleneck groups are process-wide and keyed by id: one key per token keeps users from queueing behind each other.
      id: `sluice-github-${tokenHash.slice(0, 16)}`,
      retryAfterBaseValue: options.baseDelayMs,
      onRateLimit: shortWaitOnly,
      onSecondaryRateLimit: shortWaitOnly,
    },
    retry: {
      retries: options.retries,
      retryAfterBaseValue: options.baseDelayMs,
      // 429 is a rate limit: mapped to SourceRateLimitError, never retried blindly.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
  });
}

/** Resolves the token of each read and hands out a cached client for it. */
export function createClientProvider(options: ResolvedOptions) {
  // Keyed by a hash of the token; the cache belongs to one connector instance, hence to one baseUrl.
  // The gate travels with the client: one budget per token.
  const cache = new Map<string, { octokit: GithubOctokit; gate: RateGate }>();

  return async function clientFor(context: Pick<ReadContext<unknown>, 'credentials' | 'signal'>): Promise<GithubApi> {
    const credentials = await context.credentials();
    const token = typeof credentials.token === 'string' ? credentials.token.trim() : '';
    if (!token) {
      throw new SourceAuthError(
        'no GitHub token: set GITHUB_TOKEN, or make the credentials provider return { token } for "github"',
        CONNECTOR,
      );
    }
    const key = createHash('sha256').update(options.baseUrl).update('\0').update(token).digest('hex');
    let client = cache.get(key);
    if (client) {
      cache.delete(key); // re-insert: Map order doubles as LRU order
    } else {
      client = { octokit: createOctokit(token, key, options), gate: new RateGate() };
      if (cache.size >= MAX_CACHED_CLIENTS) cache.delete(cache.keys().next().value as string);
    }
    cache.set(key, client);
    return new GithubApi(client.octokit, options, client.gate, context.signal);
  };
}

export type ClientFor = ReturnType<typeof createClientProvider>;

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
    private readonly gate: RateGate,
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
    this.gate.check(endpoint);
    // Every request has a deadline: a slow answer must not hold a worker slot for minutes.
    const timeout = AbortSignal.timeout(this.options.requestTimeoutMs);
    const signal = this.signal ? AbortSignal.any([this.signal, timeout]) : timeout;
    try {
      const response = await this.octokit.request({
        method: 'GET',
        url,
        headers: {
          'x-github-api-version': '2022-11-28',
          ...(init.etag ? { 'if-none-match': init.etag } : {}),
        },
        request: { signal },
      });
      const headers = response.headers as Record<string, string | undefined>;
      this.gate.observe(headers);
      const next = parseNextLink(headers.link);
      if (next) this.assertOwnOrigin(next);
      return { data: response.data, etag: headers.etag, next };
    } catch (error) {
      // Octokit reports 304 as an error; for a conditional request it is the good news.
      const response = (error as { response?: { headers?: Record<string, string | undefined> } }).response;
      this.gate.observe(response?.headers);
      if (init.etag && (error as { status?: unknown }).status === 304) return { notModified: true };
      if (timeout.aborted && !this.signal?.aborted) {
        throw new SourceError(`GitHub ${endpoint} timed out after ${this.options.requestTimeoutMs / 1000} s`, CONNECTOR, { cause: error });
      }
      const now = Date.now();
      const mapped = toSourceError(error, endpoint, now);
      if (mapped instanceof SourceRateLimitError) this.gate.closeFor(mapped.retryAfterMs, now);
      throw mapped;
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
