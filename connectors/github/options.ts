import { ConnectorParamsError } from 'sluice';

/** Options of the GitHub connector, and their defaults. */
export interface GithubConnectorOptions {
  /** REST API root: https://api.github.com, `https://HOST/api/v3` for GitHub Enterprise Server, a proxy, a test server. */
  baseUrl?: string;
  /** Items per provider page (GitHub allows 1 to 100). Also the number of files read per `files` page. */
  perPage?: number;
  /** Files larger than this are skipped without being fetched. */
  maxFileBytes?: number;
  /** GitHub asks every client to send a User-Agent naming it. */
  userAgent?: string;
  /**
   * In-process retries of 5xx and network errors. Kept small: a worker never waits long on its slot.
   * Delays grow as n² × baseDelayMs (tests set baseDelayMs to 1).
   */
  retry?: { retries?: number; baseDelayMs?: number };
  /** Longest one request may take, answer included; past it the request is aborted and the shard retried. Default 30 s. */
  requestTimeoutMs?: number;
}

export interface ResolvedOptions {
  baseUrl: string;
  perPage: number;
  maxFileBytes: number;
  userAgent: string;
  retries: number;
  baseDelayMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_BASE_URL = 'https://api.github.com';

export function resolveOptions(options: GithubConnectorOptions = {}): ResolvedOptions {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new ConnectorParamsError(`github: baseUrl "${baseUrl}" is not an http(s) URL`);
  }
  const perPage = options.perPage ?? 100;
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) {
    throw new ConnectorParamsError(`github: perPage must be an integer from 1 to 100, got ${perPage}`);
  }
  const maxFileBytes = options.maxFileBytes ?? 256 * 1024;
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < 1) {
    throw new ConnectorParamsError(`github: maxFileBytes must be a positive integer, got ${maxFileBytes}`);
  }
  return {
    baseUrl,
    perPage,
    maxFileBytes,
    userAgent: options.userAgent ?? 'sluice-github-connector',
    retries: options.retry?.retries ?? 2,
    baseDelayMs: options.retry?.baseDelayMs ?? 1000,
    requestTimeoutMs: positiveTimeout(options.requestTimeoutMs ?? 30_000),
  };
}

function positiveTimeout(ms: number): number {
  if (!Number.isInteger(ms) || ms < 1) throw new ConnectorParamsError(`github: requestTimeoutMs must be a positive integer, got ${ms}`);
  return ms;
}
