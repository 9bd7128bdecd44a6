/** Options of a Gmail connector instance: where Google is, and how hard one user may be read. */
export interface GmailConnectorOptions {
  /** Gmail API root. Default https://gmail.googleapis.com/ (a proxy, or the fake server in tests). */
  rootUrl?: string;
  /** OAuth token endpoint for refreshes. Default https://oauth2.googleapis.com/token. */
  tokenUrl?: string;
  /** Requests of one user in flight at once in this process. Default 10 (Gmail refuses beyond a few dozen). */
  concurrency?: number;
  /** Message ids listed per page, each page fetched in parallel. Default 50: the first documents arrive fast. */
  pageSize?: number;
  /** Limiter key charged each call's quota units. Default `gmail:user:{userId}`; its `tpm` is the user's units per minute. */
  userLimitKey?: string;
  /** Limiter key of the Google Cloud project's budget, charged too when configured. Default `gmail:project`. */
  projectLimitKey?: string;
  /** Deadline of one Gmail request, in ms: a request that has not answered by then fails (and is retried). Default 30 000. */
  requestTimeoutMs?: number;
}

export interface ResolvedOptions {
  rootUrl: string;
  tokenUrl: string;
  concurrency: number;
  pageSize: number;
  userLimitKey: string;
  projectLimitKey: string;
  requestTimeoutMs: number;
}

export function resolveOptions(options: GmailConnectorOptions = {}): ResolvedOptions {
  const concurrency = options.concurrency ?? 10;
  const pageSize = options.pageSize ?? 50;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`gmail: concurrency must be a positive integer, got ${concurrency}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) throw new TypeError(`gmail: pageSize must be 1..500, got ${pageSize}`);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1) throw new TypeError(`gmail: requestTimeoutMs must be a positive integer, got ${requestTimeoutMs}`);
  return {
    rootUrl: options.rootUrl ?? 'https://gmail.googleapis.com/',
    tokenUrl: options.tokenUrl ?? 'https://oauth2.googleapis.com/token',
    concurrency,
    pageSize,
    userLimitKey: options.userLimitKey ?? 'gmail:user:{userId}',
    projectLimitKey: options.projectLimitKey ?? 'gmail:project',
    requestTimeoutMs,
  };
}
