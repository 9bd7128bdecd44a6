/**
 * One Octokit per token, with GitHub's recommended throttling and small 5xx retries.
 * Sluice's rule is "never hold a worker slot to wait": long rate-limit waits become a
 * SourceRateLimitError and the runtime re-queues the shard instead of sleeping here.
 */
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import { SourceAuthError, type ReadContext } from 'sluice';
import { CONNECTOR } from './errors.js';
import { GithubApi } from './http.js';
import type { ResolvedOptions } from './options.js';

const ThrottledOctokit = Octokit.plugin(throttling, retry);
/** Typed as the base client: the plugins change behaviour, not the API we call. */
export type GithubOctokit = Octokit;

/** Longest wait (seconds) we accept inside the process, and only once per request. */
const MAX_IN_PROCESS_WAIT_S = 2;
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
  const cache = new Map<string, GithubOctokit>();

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
    let octokit = cache.get(key);
    if (octokit) {
      cache.delete(key); // re-insert: Map order doubles as LRU order
    } else {
      octokit = createOctokit(token, key, options);
      if (cache.size >= MAX_CACHED_CLIENTS) cache.delete(cache.keys().next().value as string);
    }
    cache.set(key, octokit);
    return new GithubApi(octokit, options, context.signal);
  };
}

export type ClientFor = ReturnType<typeof createClientProvider>;
