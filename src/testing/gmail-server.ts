/**
 * A local Gmail API and OAuth token endpoint for tests and benchmarks, on node:http only. It follows
 * Google's documented behaviour where a client's cost or correctness depends on it: every call is
 * charged its quota units against a per-user budget per minute (429 `rateLimitExceeded` or 403
 * `userRateLimitExceeded` once spent, with "Retry after <time>" as Gmail writes it), a limit on a
 * user's concurrent requests (429 "Too many concurrent requests for user"), access tokens that
 * expire (401) and refresh tokens that can be revoked (`invalid_grant`), mailbox history ids that
 * only grow, history.list answering 404 for a start id older than the history it keeps, newest-
 * first listings with nextPageToken, and latency. docs/fake-gmail.md lists what it does not model.
 *
 *   const gmail = await startFakeGmail({ users: { 'ann@example.com': { messages: generateMailbox({ count: 50 }) } } });
 *   createGmailConnector({ rootUrl: gmail.url, tokenUrl: gmail.tokenUrl });  ...  gmail.stats;  await gmail.close();
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRaw, snippetOf, type GmailMessageSeed } from './gmail-data.js';
import { createRandom } from './github-data.js';

export { generateMailbox, type GenerateMailboxOptions, type GmailMessageSeed } from './gmail-data.js';

/** Quota units per call, from Gmail's "Usage limits" page. */
export const GMAIL_QUOTA_UNITS = {
  'users.getProfile': 1,
  'users.labels.list': 1,
  'users.messages.list': 5,
  'users.messages.get': 5,
  'users.threads.list': 10,
  'users.threads.get': 10,
  'users.history.list': 2,
} as const;
export type GmailMethod = keyof typeof GMAIL_QUOTA_UNITS;

export interface FakeGmailUserOptions {
  messages?: GmailMessageSeed[];
  /** The refresh token the user's grant holds. Default `refresh-<email>`. */
  refreshToken?: string;
}

export interface FakeGmailOptions {
  /** Mailboxes by e-mail address. */
  users?: Record<string, FakeGmailUserOptions>;
  /** Quota units one user may spend per minute. Default 15,000 (Gmail's per-user limit). */
  unitsPerMinute?: number;
  /** Requests of one user in flight at once before 429. Default 25. */
  maxConcurrentPerUser?: number;
  /** Status of a spent per-user budget: Gmail answers either. Default 429. */
  quotaStatus?: 403 | 429;
  /** Lifetime of issued access tokens. Default one hour. */
  tokenTtlMs?: number;
  /** History records kept per mailbox; a start id older than those kept gets 404. Default unlimited. */
  historyRetention?: number;
  latencyMs?: number;
  /**
   * Makes history ids the same from one server to the next for the same mailbox (their steps are
   * random otherwise), so a checkpoint taken against one server replays against the next.
   */
  seed?: number;
  /** Clock for quota windows, token expiry and internal dates. Default Date.now. */
  now?: () => number;
  host?: string;
  port?: number;
}

export interface FakeGmailStats {
  /** Calls answered, refused or not, by method. */
  calls: Record<string, number>;
  /** Units charged per user per minute window (key: window start, ms). Refused calls are not charged. */
  unitsPerMinute: Record<string, Record<number, number>>;
  /** Greatest number of one user's requests in flight at once. */
  peakConcurrent: Record<string, number>;
  /** Refusals by reason: rateLimitExceeded, userRateLimitExceeded, concurrent, expiredToken, invalidGrant, injected. */
  refused: Record<string, number>;
  tokenRefreshes: number;
}

export interface FakeGmail {
  url: string;
  /** The OAuth token endpoint (POST grant_type=refresh_token). */
  tokenUrl: string;
  stats: FakeGmailStats;
  /** An access token for `email` that expires after `ttlMs` (default the server's TTL). */
  issueToken(email: string, ttlMs?: number): { accessToken: string; expiresAt: number };
  /** Every access token of `email` (all users when absent) is expired from now on. */
  expireTokens(email?: string): void;
  /** The grant is revoked: refreshes answer invalid_grant, access tokens 401. */
  revoke(email: string): void;
  refreshTokenOf(email: string): string;
  addMessage(email: string, seed: GmailMessageSeed): string;
  deleteMessage(email: string, id: string): void;
  relabel(email: string, id: string, change: { add?: string[]; remove?: string[] }): void;
  /** Drops history older than the latest `keep` records: older start ids get 404. */
  forgetHistory(email: string, keep?: number): void;
  historyId(email: string): number;
  messageIds(email: string): string[];
  /**
   * The next `count` calls (of `method`, of `email`) fail with `status`: 500 or 503 as a backend
   * error, 429 as `rateLimitExceeded` (with `Retry-After` when `retryAfterS` is given).
   */
  inject(fault: { status: number; count?: number; method?: GmailMethod; email?: string; retryAfterS?: number }): void;
  setLatency(ms: number): void;
  /** Greatest units one user spent in any minute window. */
  peakUnitsPerMinute(email: string): number;
  close(): Promise<void>;
}

interface StoredMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  raw: Buffer;
  internalDate: number;
  historyId: number;
  snippet: string;
}

interface HistoryRecord {
  id: number;
  messagesAdded?: { message: MessageRef }[];
  messagesDeleted?: { message: MessageRef }[];
  labelsAdded?: { message: MessageRef; labelIds: string[] }[];
  labelsRemoved?: { message: MessageRef; labelIds: string[] }[];
}
type MessageRef = { id: string; threadId: string; labelIds: string[] };

interface Mailbox {
  email: string;
  messages: Map<string, StoredMessage>;
  history: HistoryRecord[];
  /** History ids at or below this are gone: a start id below it is answered 404. */
  oldestKept: number;
  historyId: number;
  refreshToken: string;
  revoked: boolean;
  inFlight: number;
}

interface Fault {
  status: number;
  retryAfterS?: number;
  count: number;
  method?: GmailMethod;
  email?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const SYSTEM_LABELS = ['INBOX', 'SENT', 'IMPORTANT', 'STARRED', 'UNREAD', 'SPAM', 'TRASH', 'DRAFT', 'CATEGORY_PERSONAL'];

function googleError(status: number, message: string, reason: string, domain = 'global', statusText?: string): HttpError {
  return new HttpError(status, { error: { code: status, message, errors: [{ message, domain, reason }], ...(statusText ? { status: statusText } : {}) } });
}

export async function startFakeGmail(options: FakeGmailOptions = {}): Promise<FakeGmail> {
  const now = options.now ?? Date.now;
  const unitsPerMinute = options.unitsPerMinute ?? 15_000;
  const maxConcurrent = options.maxConcurrentPerUser ?? 25;
  const tokenTtlMs = options.tokenTtlMs ?? 3_600_000;
  let latencyMs = options.latencyMs ?? 0;
  const mailboxes = new Map<string, Mailbox>();
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  const faults: Fault[] = [];
  const stats: FakeGmailStats = { calls: {}, unitsPerMinute: {}, peakConcurrent: {}, refused: {}, tokenRefreshes: 0 };
  let idCounter = 0x18c0000000000;
  const random = options.seed === undefined ? Math.random : createRandom(options.seed).next;

  const mailbox = (email: string): Mailbox => {
    const box = mailboxes.get(email);
    if (!box) throw new Error(`fake Gmail: no mailbox "${email}"`);
    return box;
  };

  const record = (box: Mailbox, entry: Omit<HistoryRecord, 'id'>): number => {
    box.historyId += 1 + Math.floor(random() * 3); // Gmail's ids grow, not by one
    box.history.push({ id: box.historyId, ...entry });
    if (options.historyRetention !== undefined) trimHistory(box, options.historyRetention);
    return box.historyId;
  };

  const ref = (m: StoredMessage): MessageRef => ({ id: m.id, threadId: m.threadId, labelIds: [...m.labelIds] });

  function addMessage(email: string, seed: GmailMessageSeed): string {
    const box = mailbox(email);
    const id = (idCounter++).toString(16);
    const latest = Math.max(0, ...[...box.messages.values()].map((m) => m.internalDate));
    const internalDate = seed.internalDate ?? Math.max(latest + 1000, 0);
    const raw = buildRaw(seed, id, internalDate);
    const message: StoredMessage = {
      id,
      threadId: seed.threadId ?? id,
      labelIds: seed.labelIds ?? ['INBOX'],
      raw,
      internalDate,
      historyId: 0,
      snippet: snippetOf(raw),
    };
    box.messages.set(id, message);
    message.historyId = record(box, { messagesAdded: [{ message: ref(message) }] });
    return id;
  }

  function trimHistory(box: Mailbox, keep: number): void {
    if (box.history.length <= keep) return;
    const dropped = box.history.splice(0, box.history.length - keep);
    box.oldestKept = dropped[dropped.length - 1]!.id;
  }

  for (const [email, user] of Object.entries(options.users ?? {})) {
    mailboxes.set(email, {
      email,
      messages: new Map(),
      history: [],
      oldestKept: 0,
      historyId: 1000,
      refreshToken: user.refreshToken ?? `refresh-${email}`,
      revoked: false,
      inFlight: 0,
    });
    for (const seed of user.messages ?? []) addMessage(email, seed);
  }

  function issueToken(email: string, ttlMs = tokenTtlMs) {
    mailbox(email);
    const accessToken = `ya29.fake-${randomBytes(12).toString('hex')}`;
    const expiresAt = now() + ttlMs;
    tokens.set(accessToken, { email, expiresAt });
    return { accessToken, expiresAt };
  }

  /** The mailbox behind the bearer token, or 401 as Google answers it. */
  function authenticate(req: IncomingMessage): Mailbox {
    const header = req.headers.authorization ?? '';
    const token = tokens.get(header.replace(/^Bearer\s+/i, ''));
    if (!token || token.expiresAt <= now() || mailbox(token.email).revoked) {
      stats.refused.expiredToken = (stats.refused.expiredToken ?? 0) + 1;
      throw new HttpError(401, {
        error: {
          code: 401,
          message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' }],
          status: 'UNAUTHENTICATED',
        },
      }, { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' });
    }
    return mailbox(token.email);
  }

  const windowOf = (t: number) => t - (t % 60_000);

  /** Charges `units` to the user's current minute, or refuses as Gmail does once it is spent. */
  function charge(box: Mailbox, units: number): void {
    const window = windowOf(now());
    const perUser = (stats.unitsPerMinute[box.email] ??= {});
    const spent = perUser[window] ?? 0;
    if (spent + units > unitsPerMinute) {
      const retryAt = new Date(window + 60_000).toISOString();
      if (options.quotaStatus === 403) {
        stats.refused.userRateLimitExceeded = (stats.refused.userRateLimitExceeded ?? 0) + 1;
        throw googleError(403, `User-rate limit exceeded.  Retry after ${retryAt}`, 'userRateLimitExceeded', 'usageLimits', 'PERMISSION_DENIED');
      }
      stats.refused.rateLimitExceeded = (stats.refused.rateLimitExceeded ?? 0) + 1;
      throw googleError(429, `User-rate limit exceeded.  Retry after ${retryAt}`, 'rateLimitExceeded', 'usageLimits', 'RESOURCE_EXHAUSTED');
    }
    perUser[window] = spent + units;
  }

  function takeFault(method: GmailMethod, email: string): Fault | undefined {
    const index = faults.findIndex((f) => (!f.method || f.method === method) && (!f.email || f.email === email));
    if (index < 0) return undefined;
    const fault = faults[index]!;
    if (--fault.count <= 0) faults.splice(index, 1);
    return fault;
  }

  function messageResource(m: StoredMessage, format: string) {
    const base = {
      id: m.id,
      threadId: m.threadId,
      labelIds: [...m.labelIds],
      snippet: m.snippet,
      historyId: String(m.historyId),
      internalDate: String(m.internalDate),
      sizeEstimate: m.raw.length,
    };
    if (format === 'minimal') return { id: m.id, threadId: m.threadId, labelIds: base.labelIds, historyId: base.historyId, internalDate: base.internalDate, sizeEstimate: base.sizeEstimate };
    if (format === 'raw') return { ...base, raw: m.raw.toString('base64url') };
    const head = m.raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '';
    const headers = head.split(/\r?\n(?![ \t])/).filter(Boolean).map((line) => {
      const colon = line.indexOf(':');
      return { name: line.slice(0, colon), value: line.slice(colon + 1).trim() };
    });
    return { ...base, payload: { mimeType: 'text/plain', headers } };
  }

  function visible(m: StoredMessage, url: URL): boolean {
    const labelIds = url.searchParams.getAll('labelIds');
    if (labelIds.some((l) => !m.labelIds.includes(l))) return false;
    if (url.searchParams.get('includeSpamTrash') !== 'true' && m.labelIds.some((l) => l === 'SPAM' || l === 'TRASH')) return false;
    const q = url.searchParams.get('q')?.trim();
    // Only free words are understood: each must occur in the message (see docs/fake-gmail.md).
    if (q) {
      const text = m.raw.toString('utf8').toLowerCase();
      if (q.toLowerCase().split(/\s+/).some((word) => !text.includes(word))) return false;
    }
    return true;
  }

  function paginate<T>(items: T[], url: URL, defaultSize: number, maxSize: number): { page: T[]; nextPageToken?: string } {
    const size = Math.min(Math.max(Number(url.searchParams.get('maxResults') ?? defaultSize) || defaultSize, 1), maxSize);
    const token = url.searchParams.get('pageToken');
    const offset = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw googleError(400, 'Invalid pageToken', 'invalidArgument', 'global', 'INVALID_ARGUMENT');
    const page = items.slice(offset, offset + size);
    const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
    return next ? { page, nextPageToken: next } : { page };
  }

  const newestFirst = (box: Mailbox) => [...box.messages.values()].sort((a, b) => b.internalDate - a.internalDate || (a.id < b.id ? 1 : -1));

  const notFound = () => googleError(404, 'Requested entity was not found.', 'notFound', 'global', 'NOT_FOUND');

  function route(method: string, path: string): { name: GmailMethod; id?: string } {
    const m = /^\/gmail\/v1\/users\/[^/]+\/(profile|labels|messages|threads|history)(?:\/([^/]+))?$/.exec(path);
    if (method !== 'GET' || !m) throw googleError(404, `Not found: ${method} ${path}`, 'notFound');
    const [, kind, id] = m;
    if (kind === 'profile' && !id) return { name: 'users.getProfile' };
    if (kind === 'labels' && !id) return { name: 'users.labels.list' };
    if (kind === 'history' && !id) return { name: 'users.history.list' };
    if (kind === 'messages') return id ? { name: 'users.messages.get', id } : { name: 'users.messages.list' };
    if (kind === 'threads') return id ? { name: 'users.threads.get', id } : { name: 'users.threads.list' };
    throw googleError(404, `Not found: ${method} ${path}`, 'notFound');
  }

  function answer(name: GmailMethod, box: Mailbox, url: URL, id: string | undefined): unknown {
    switch (name) {
      case 'users.getProfile':
        return {
          emailAddress: box.email,
          messagesTotal: box.messages.size,
          threadsTotal: new Set([...box.messages.values()].map((m) => m.threadId)).size,
          historyId: String(box.historyId),
        };
      case 'users.labels.list': {
        const user = new Set([...box.messages.values()].flatMap((m) => m.labelIds).filter((l) => !SYSTEM_LABELS.includes(l)));
        return {
          labels: [
            ...SYSTEM_LABELS.map((l) => ({ id: l, name: l, type: 'system' })),
            ...[...user].map((l) => ({ id: l, name: l, type: 'user' })),
          ],
        };
      }
      case 'users.messages.list': {
        const all = newestFirst(box).filter((m) => visible(m, url));
        const { page, nextPageToken } = paginate(all, url, 100, 500);
        return {
          ...(page.length ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
          resultSizeEstimate: all.length,
        };
      }
      case 'users.messages.get': {
        const message = box.messages.get(id!);
        if (!message) throw notFound();
        return messageResource(message, url.searchParams.get('format') ?? 'full');
      }
      case 'users.threads.list': {
        const threads = new Map<string, StoredMessage>();
        for (const m of newestFirst(box)) if (visible(m, url) && !threads.has(m.threadId)) threads.set(m.threadId, m);
        const { page, nextPageToken } = paginate([...threads.values()], url, 100, 500);
        return {
          ...(page.length ? { threads: page.map((m) => ({ id: m.threadId, snippet: m.snippet, historyId: String(m.historyId) })) } : {}),
          ...(nextPageToken ? { nextPageToken } : {}),
          resultSizeEstimate: threads.size,
        };
      }
      case 'users.threads.get': {
        const messages = [...box.messages.values()].filter((m) => m.threadId === id).sort((a, b) => a.internalDate - b.internalDate);
        if (messages.length === 0) throw notFound();
        const format = url.searchParams.get('format') ?? 'full';
        return {
          id,
          historyId: String(Math.max(...messages.map((m) => m.historyId))),
          messages: messages.map((m) => messageResource(m, format)),
        };
      }
      case 'users.history.list': {
        const start = Number(url.searchParams.get('startHistoryId'));
        if (!Number.isFinite(start) || start <= 0) throw googleError(400, 'Invalid startHistoryId', 'invalidArgument', 'global', 'INVALID_ARGUMENT');
        if (start < box.oldestKept) throw notFound();
        const types = url.searchParams.getAll('historyTypes');
        const labelId = url.searchParams.get('labelId');
        const records = box.history
          .filter((h) => h.id > start)
          .map((h) => filterRecord(h, types, labelId))
          .filter((h): h is HistoryRecord => h !== undefined);
        const { page, nextPageToken } = paginate(records, url, 100, 500);
        return { ...(page.length ? { history: page.map(publicRecord) } : {}), ...(nextPageToken ? { nextPageToken } : {}), historyId: String(box.historyId) };
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/token') return handleToken(req, res);
    const { name, id } = route(req.method ?? 'GET', url.pathname);
    stats.calls[name] = (stats.calls[name] ?? 0) + 1;
    const box = authenticate(req);
    if (box.inFlight >= maxConcurrent) {
      stats.refused.concurrent = (stats.refused.concurrent ?? 0) + 1;
      throw googleError(429, 'Too many concurrent requests for user', 'rateLimitExceeded', 'usageLimits', 'RESOURCE_EXHAUSTED');
    }
    box.inFlight++;
    stats.peakConcurrent[box.email] = Math.max(stats.peakConcurrent[box.email] ?? 0, box.inFlight);
    try {
      const fault = takeFault(name, box.email);
      if (fault) {
        stats.refused.injected = (stats.refused.injected ?? 0) + 1;
        if (fault.status === 429) {
          const error = googleError(429, 'Resource has been exhausted (e.g. check quota).', 'rateLimitExceeded', 'usageLimits', 'RESOURCE_EXHAUSTED');
          throw new HttpError(429, error.body, fault.retryAfterS !== undefined ? { 'retry-after': String(fault.retryAfterS) } : {});
        }
        throw googleError(fault.status, fault.status >= 500 ? 'Backend Error' : 'Injected failure', fault.status >= 500 ? 'backendError' : 'failedPrecondition');
      }
      charge(box, GMAIL_QUOTA_UNITS[name]);
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      send(res, 200, answer(name, box, url, id ? decodeURIComponent(id) : undefined));
    } finally {
      box.inFlight--;
    }
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'refresh_token') {
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Only refresh_token grants are modelled' });
    }
    const box = [...mailboxes.values()].find((b) => b.refreshToken === form.get('refresh_token'));
    if (!box || box.revoked) {
      stats.refused.invalidGrant = (stats.refused.invalidGrant ?? 0) + 1;
      return send(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    }
    stats.tokenRefreshes++;
    const { accessToken } = issueToken(box.email);
    send(res, 200, {
      access_token: accessToken,
      expires_in: Math.floor(tokenTtlMs / 1000),
      scope: 'https://www.googleapis.com/auth/gmail.readonly',
      token_type: 'Bearer',
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return send(res, error.status, error.body, error.headers);
      send(res, 500, { error: { code: 500, message: error instanceof Error ? error.message : String(error) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    tokenUrl: `${url}/token`,
    stats,
    issueToken,
    expireTokens(email) {
      for (const token of tokens.values()) if (!email || token.email === email) token.expiresAt = now() - 1;
    },
    revoke(email) {
      mailbox(email).revoked = true;
    },
    refreshTokenOf: (email) => mailbox(email).refreshToken,
    addMessage,
    deleteMessage(email, id) {
      const box = mailbox(email);
      const message = box.messages.get(id);
      if (!message) throw new Error(`fake Gmail: no message ${id} in "${email}"`);
      box.messages.delete(id);
      record(box, { messagesDeleted: [{ message: ref(message) }] });
    },
    relabel(email, id, change) {
      const box = mailbox(email);
      const message = box.messages.get(id);
      if (!message) throw new Error(`fake Gmail: no message ${id} in "${email}"`);
      const add = (change.add ?? []).filter((l) => !message.labelIds.includes(l));
      const remove = (change.remove ?? []).filter((l) => message.labelIds.includes(l));
      message.labelIds = [...message.labelIds.filter((l) => !remove.includes(l)), ...add];
      message.historyId = record(box, {
        ...(add.length ? { labelsAdded: [{ message: ref(message), labelIds: add }] } : {}),
        ...(remove.length ? { labelsRemoved: [{ message: ref(message), labelIds: remove }] } : {}),
      });
    },
    forgetHistory(email, keep = 0) {
      const box = mailbox(email);
      if (keep === 0) {
        box.history = [];
        box.oldestKept = box.historyId;
      } else trimHistory(box, keep);
    },
    historyId: (email) => mailbox(email).historyId,
    messageIds: (email) => newestFirst(mailbox(email)).map((m) => m.id),
    inject(fault) {
      faults.push({ count: 1, ...fault });
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    peakUnitsPerMinute: (email) => Math.max(0, ...Object.values(stats.unitsPerMinute[email] ?? {})),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A history record narrowed to the asked types (and label), or undefined when nothing is left. */
function filterRecord(h: HistoryRecord, types: string[], labelId: string | null): HistoryRecord | undefined {
  const want = (type: string) => types.length === 0 || types.includes(type);
  const hasLabel = (ref: MessageRef, changed?: string[]) => !labelId || ref.labelIds.includes(labelId) || (changed ?? []).includes(labelId);
  const out: HistoryRecord = { id: h.id };
  if (want('messageAdded') && h.messagesAdded) out.messagesAdded = h.messagesAdded.filter((e) => hasLabel(e.message));
  if (want('messageDeleted') && h.messagesDeleted) out.messagesDeleted = h.messagesDeleted.filter((e) => hasLabel(e.message));
  if (want('labelAdded') && h.labelsAdded) out.labelsAdded = h.labelsAdded.filter((e) => hasLabel(e.message, e.labelIds));
  if (want('labelRemoved') && h.labelsRemoved) out.labelsRemoved = h.labelsRemoved.filter((e) => hasLabel(e.message, e.labelIds));
  const lists = [out.messagesAdded, out.messagesDeleted, out.labelsAdded, out.labelsRemoved];
  return lists.some((l) => l && l.length > 0) ? out : undefined;
}

/** Gmail lists the messages a record touched besides the typed changes. */
function publicRecord(h: HistoryRecord) {
  const messages = [...(h.messagesAdded ?? []), ...(h.messagesDeleted ?? []), ...(h.labelsAdded ?? []), ...(h.labelsRemoved ?? [])].map((e) => ({
    id: e.message.id,
    threadId: e.message.threadId,
  }));
  return { ...h, id: String(h.id), messages };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(body));
}

