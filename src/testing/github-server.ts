/**
 * A local GitHub REST API server for tests and benchmarks, on node:http only. It follows GitHub's
 * documented behaviour where a client's cost depends on it: a primary rate limit per token with
 * x-ratelimit-* headers on every answer, 403 (or 429) with remaining 0 once spent, 304 answers to
 * If-None-Match / If-Modified-Since that are not charged when the request carries an Authorization
 * header, Link headers pointing at /repositories/{id}/..., `since` as "updated at or after", times
 * quantised to the second, real git blob and tree shas, and comment edits that leave the issue's
 * updated_at alone. docs/fake-github.md lists what it does not model.
 *
 *   const gh = await startFakeGitHub({ repos: [generateRepo({ owner: 'acme', name: 'app' })] });
 *   createGithubConnector({ baseUrl: gh.url });  ...  gh.stats.charged;  await gh.close();
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRandom, isoSeconds, type CommentSeed, type FileSeed, type IssueSeed, type PullSeed, type RepoSeed } from './github-data.js';

export { generateRepo, type GenerateRepoOptions, type RepoSeed, type FileSeed, type IssueSeed, type PullSeed, type CommentSeed } from './github-data.js';

export interface FakeTokenOptions {
  /** The user behind the token: /user/repos?affiliation=owner lists this login's repositories. */
  login?: string;
  /** Primary limit of this token per window; defaults to the server's rateLimit. */
  limit?: number;
}

export interface SecondaryLimitOptions {
  /** Points (1 per GET) a token may spend per 60 s; GitHub documents 900 for REST. */
  pointsPerMinute?: number;
  /** Requests of one token in flight at once; GitHub documents 100. */
  maxConcurrent?: number;
}

export interface FakeGitHubOptions {
  repos?: RepoSeed[];
  /** Known tokens. When given, any other token is answered 401 "Bad credentials". When absent, every token is accepted. */
  tokens?: string[] | Record<string, FakeTokenOptions>;
  /** Primary limit per token per window. Default 5000, GitHub's for a personal token. */
  rateLimit?: number;
  /** Limit shared by requests without a token. Default 60. */
  anonymousRateLimit?: number;
  /** Length of a rate-limit window. Default one hour. */
  windowMs?: number;
  /** Status of an exhausted primary limit: GitHub documents 403 or 429. Default 403. */
  primaryLimitStatus?: 403 | 429;
  /** Automatic secondary limits (off by default). Injected ones: `inject({ kind: 'secondary' })`. */
  secondaryLimits?: SecondaryLimitOptions;
  /** Delay before each answer, in ms. Default 0. */
  latencyMs?: number;
  /** Path prefix of the API, e.g. '/api/v3' as on GitHub Enterprise Server. Default none. */
  prefix?: string;
  /** Clock for rate-limit windows and for the timestamps of mutations. Default Date.now. */
  now?: () => number;
  /**
   * ETags differ per token, as GitHub's `Vary: Authorization` allows: an ETag kept from one token
   * does not validate another's request. Default true.
   */
  etagPerToken?: boolean;
  host?: string;
  port?: number;
}

export type RouteKind =
  | 'user-repos'
  | 'repo'
  | 'branch'
  | 'ref'
  | 'commit'
  | 'tree'
  | 'blob'
  | 'readme'
  | 'contents'
  | 'issues'
  | 'issue'
  | 'issue-comments'
  | 'repo-comments'
  | 'comment'
  | 'pulls'
  | 'pull'
  | 'rate-limit'
  | 'unknown';

/** A fault served instead of the next matching requests, in the order injected. */
export type Fault =
  | {
      kind: 'secondary';
      /** Requests it answers; default 1. */
      count?: number;
      status?: 403 | 429;
      /** Seconds in the retry-after header; null sends none (clients then wait at least a minute). Default 60. */
      retryAfterS?: number | null;
      route?: RouteKind;
    }
  | { kind: 'status'; status: number; count?: number; route?: RouteKind; message?: string };

export interface RequestLogEntry {
  method: string;
  /** Path and query, without the prefix. */
  path: string;
  route: RouteKind;
  status: number;
  charged: boolean;
}

export interface FakeGitHubStats {
  requests: number;
  byRoute: Partial<Record<RouteKind, number>>;
  byStatus: Record<number, number>;
  /** Answered 304 Not Modified. */
  notModified: number;
  /** Counted against a primary limit. */
  charged: number;
  /** Refused because the primary limit was spent. */
  rateLimited: number;
  /** Refused by a secondary limit (automatic or injected). */
  secondaryLimited: number;
  /** Every request, in arrival order of its answer. */
  log: RequestLogEntry[];
  reset(): void;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds, as in x-ratelimit-reset. */
  reset: number;
}

export interface FakeGitHub {
  /** API root to give the connector as baseUrl (prefix included). */
  url: string;
  stats: FakeGitHubStats;
  /** Primary-limit state of a token (undefined: the anonymous bucket), without spending anything. */
  rateLimit(token?: string): RateLimitState;
  /** Sets what a token has used in the current window: tests start near exhaustion without thousands of requests. */
  setUsed(token: string | undefined, used: number): void;
  /** Forgets every window: all tokens back to full. */
  resetRateLimits(): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Latency of later requests, in ms. */
  setLatency(ms: number): void;
  addRepo(seed: RepoSeed): FakeRepo;
  removeRepo(fullName: string): void;
  /** The repository to read or mutate; throws when unknown. */
  repo(fullName: string): FakeRepo;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Git objects: real shas, so a client comparing shas sees exactly what git would show.

type Mode = '100644' | '100755' | '120000' | '040000';

interface TreeEntry {
  name: string;
  mode: Mode;
  type: 'blob' | 'tree';
  sha: string;
  size?: number;
}

function gitHash(kind: 'blob' | 'tree' | 'commit', body: Buffer): string {
  return createHash('sha1').update(`${kind} ${body.length}\0`).update(body).digest('hex');
}

/** The sha git gives a file with this content (`git hash-object`). */
export function gitBlobSha(content: string | Uint8Array): string {
  return gitHash('blob', toBuffer(content));
}

function toBuffer(content: string | Uint8Array): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

/** Git orders tree entries by name, a directory as if its name ended in '/'. */
function gitOrder(a: TreeEntry, b: TreeEntry): number {
  const ka = a.type === 'tree' ? `${a.name}/` : a.name;
  const kb = b.type === 'tree' ? `${b.name}/` : b.name;
  return Buffer.compare(Buffer.from(ka), Buffer.from(kb));
}

interface StoredFile {
  content: Buffer;
  mode: Exclude<Mode, '040000'>;
  sha: string;
}

interface Objects {
  blobs: Map<string, Buffer>;
  trees: Map<string, TreeEntry[]>;
  commits: Map<string, { tree: string; parent?: string; at: number }>;
}

/** Writes the trees of a file set into `objects`; returns the root tree sha. */
function writeTrees(files: Map<string, StoredFile>, objects: Objects): string {
  interface Dir {
    dirs: Map<string, Dir>;
    files: Map<string, StoredFile>;
  }
  const root: Dir = { dirs: new Map(), files: new Map() };
  for (const [path, file] of files) {
    const parts = path.split('/');
    const name = parts.pop() as string;
    let dir = root;
    for (const part of parts) {
      let child = dir.dirs.get(part);
      if (!child) dir.dirs.set(part, (child = { dirs: new Map(), files: new Map() }));
      dir = child;
    }
    dir.files.set(name, file);
  }
  const write = (dir: Dir): string => {
    const entries: TreeEntry[] = [];
    for (const [name, child] of dir.dirs) entries.push({ name, mode: '040000', type: 'tree', sha: write(child) });
    for (const [name, file] of dir.files) entries.push({ name, mode: file.mode, type: 'blob', sha: file.sha, size: file.content.length });
    entries.sort(gitOrder);
    const body = Buffer.concat(
      entries.flatMap((entry) => [Buffer.from(`${entry.mode === '040000' ? '40000' : entry.mode} ${entry.name}\0`), Buffer.from(entry.sha, 'hex')]),
    );
    const sha = gitHash('tree', body);
    objects.trees.set(sha, entries);
    return sha;
  };
  return write(root);
}

function writeCommit(objects: Objects, tree: string, parent: string | undefined, at: number, message: string): string {
  const stamp = `${Math.floor(at / 1000)} +0000`;
  const body = Buffer.from(
    `tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author Fake GitHub <fake@example.com> ${stamp}\ncommitter Fake GitHub <fake@example.com> ${stamp}\n\n${message}\n`,
  );
  const sha = gitHash('commit', body);
  objects.commits.set(sha, { tree, parent, at });
  return sha;
}

// ---------------------------------------------------------------------------------------------
// Repository state and its mutations.

interface IssueState {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  labels: string[];
  user: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  pull?: { mergedAt: string | null; draft: boolean; head: string; headSha: string };
}

interface CommentState {
  id: number;
  issue: number;
  user: string | null;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface IssuePatch {
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  labels?: string[];
}

export interface PullPatch extends IssuePatch {
  /** Merging closes the pull request and sets merged_at. */
  merged?: boolean;
}

export interface NewIssue {
  title?: string;
  body?: string | null;
  labels?: string[];
  user?: string | null;
  state?: 'open' | 'closed';
}

/** One repository held by the server. Every change takes its time from the server's clock, to the second. */
export interface FakeRepo {
  readonly id: number;
  readonly fullName: string;
  readonly defaultBranch: string;
  /** Root tree sha of the default branch; undefined while the repository is empty. */
  readonly treeSha: string | undefined;
  readonly headSha: string | undefined;
  /** A commit on the default branch: the tree sha changes, old trees and blobs stay readable by sha. */
  writeFile(path: string, content: string | Uint8Array, mode?: FileSeed['mode']): string;
  deleteFile(path: string): void;
  filePaths(): string[];
  fileText(path: string): string | undefined;
  fileSha(path: string): string | undefined;

  addIssue(issue?: NewIssue): number;
  /** Bumps the issue's updated_at (and closed_at when closing). */
  editIssue(number: number, patch: IssuePatch): void;
  /** Removes the issue and its comments, as deleting an issue on GitHub does: lists simply stop showing it. */
  deleteIssue(number: number): void;
  addPull(pull?: NewIssue & { head?: string; draft?: boolean }): number;
  editPull(number: number, patch: PullPatch): void;
  /** GitHub itself does not let users delete a pull request; here for tests of deletion handling. */
  deletePull(number: number): void;
  issueNumbers(): number[];
  pullNumbers(): number[];
  updatedAt(number: number): string;

  /** Bumps the issue's updated_at and comment count, as a new comment does on GitHub. */
  addComment(number: number, body: string, user?: string | null): number;
  /** Updates the comment's updated_at only: the issue's updated_at stays, as on GitHub. */
  editComment(id: number, body: string): void;
  /** Removes the comment; the issue's updated_at stays. */
  deleteComment(id: number): void;
  commentIds(number?: number): number[];
  commentBody(id: number): string | undefined;

  /**
   * Changes a share of the repository at once, deterministically for a seed: text files edited or
   * deleted in one commit, issues and pull requests edited or deleted, comments edited or deleted.
   * For re-sync benchmarks ("1% changed"). Shares are of each kind's current count, rounded up when above 0.
   */
  churn(options: ChurnOptions): ChurnReport;
}

export interface ChurnOptions {
  /** Share of files, issues (and pull requests) and comments to touch, 0 to 1. Per kind, overriding `share`. */
  share?: number;
  files?: number;
  issues?: number;
  comments?: number;
  /** Of the touched items, the share deleted rather than edited. Default 0.2. */
  deleteShare?: number;
  seed?: number;
}

export interface ChurnReport {
  files: { edited: string[]; deleted: string[] };
  issues: { edited: number[]; deleted: number[] };
  comments: { edited: number[]; deleted: number[] };
}

interface RepoState {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  description: string | null;
  language: string | null;
  defaultBranch: string;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  files: Map<string, StoredFile>;
  objects: Objects;
  head?: { commit: string; tree: string };
  issues: Map<number, IssueState>;
  comments: Map<number, CommentState>;
  nextNumber: number;
}

interface Ids {
  repo: number;
  issue: number;
  comment: number;
}

function storedFile(content: string | Uint8Array, mode: FileSeed['mode'] = '100644'): StoredFile {
  const buffer = toBuffer(content);
  return { content: buffer, mode, sha: gitHash('blob', buffer) };
}

function hexFrom(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function createRepoState(seed: RepoSeed, ids: Ids, now: () => number): RepoState {
  const created = seed.created_at ?? isoSeconds(now());
  const objects: Objects = { blobs: new Map(), trees: new Map(), commits: new Map() };
  const files = new Map<string, StoredFile>();
  for (const file of seed.files ?? []) {
    const stored = storedFile(file.content, file.mode);
    files.set(file.path, stored);
    objects.blobs.set(stored.sha, stored.content);
  }
  const state: RepoState = {
    id: ++ids.repo,
    owner: seed.owner,
    name: seed.name,
    fullName: `${seed.owner}/${seed.name}`,
    private: seed.private ?? false,
    description: seed.description ?? null,
    language: seed.language ?? null,
    defaultBranch: seed.defaultBranch ?? 'main',
    createdAt: created,
    updatedAt: created,
    pushedAt: created,
    files,
    objects,
    issues: new Map(),
    comments: new Map(),
    nextNumber: 1,
  };
  if (files.size) {
    const tree = writeTrees(files, objects);
    state.head = { tree, commit: writeCommit(objects, tree, undefined, Date.parse(created), 'Initial commit') };
  }
  const all: (IssueSeed & Partial<PullSeed> & { isPull: boolean })[] = [
    ...(seed.issues ?? []).map((issue) => ({ ...issue, isPull: false })),
    ...(seed.pulls ?? []).map((pull) => ({ ...pull, isPull: true })),
  ].sort((a, b) => a.number - b.number);
  let latest = created;
  for (const item of all) {
    if (state.issues.has(item.number)) throw new Error(`fake GitHub: ${state.fullName} has two issues or pulls numbered ${item.number}`);
    state.issues.set(item.number, {
      id: ++ids.issue,
      number: item.number,
      title: item.title,
      body: item.body,
      state: item.state,
      labels: item.labels ?? [],
      user: item.user,
      createdAt: item.created_at,
      updatedAt: item.updated_at,
      closedAt: item.closed_at ?? (item.state === 'closed' ? item.updated_at : null),
      ...(item.isPull
        ? { pull: { mergedAt: item.merged_at ?? null, draft: item.draft ?? false, head: item.head ?? `patch-${item.number}`, headSha: hexFrom(`${state.fullName}#${item.number}`) } }
        : {}),
    });
    for (const comment of item.comments ?? []) addCommentState(state, ids, item.number, comment);
    if (item.updated_at > latest) latest = item.updated_at;
    state.nextNumber = Math.max(state.nextNumber, item.number + 1);
  }
  state.updatedAt = latest;
  return state;
}

function addCommentState(state: RepoState, ids: Ids, issue: number, seed: CommentSeed): number {
  const id = ++ids.comment;
  state.comments.set(id, { id, issue, user: seed.user, body: seed.body, createdAt: seed.created_at, updatedAt: seed.updated_at ?? seed.created_at });
  return id;
}

function repoHandle(state: RepoState, ids: Ids, now: () => number): FakeRepo {
  const stamp = () => isoSeconds(now());
  const issueOf = (number: number, pull: boolean): IssueState => {
    const issue = state.issues.get(number);
    if (!issue || Boolean(issue.pull) !== pull) throw new Error(`fake GitHub: ${state.fullName} has no ${pull ? 'pull request' : 'issue'} #${number}`);
    return issue;
  };
  const commentOf = (id: number): CommentState => {
    const comment = state.comments.get(id);
    if (!comment) throw new Error(`fake GitHub: ${state.fullName} has no comment ${id}`);
    return comment;
  };
  const push = (message: string) => {
    const at = now();
    if (state.files.size === 0) {
      state.head = undefined;
    } else {
      const tree = writeTrees(state.files, state.objects);
      state.head = { tree, commit: writeCommit(state.objects, tree, state.head?.commit, at, message) };
    }
    state.pushedAt = state.updatedAt = isoSeconds(at);
  };
  const open = (issue: NewIssue, pull?: { head?: string; draft?: boolean }): number => {
    const number = state.nextNumber++;
    const at = stamp();
    const closed = issue.state === 'closed';
    state.issues.set(number, {
      id: ++ids.issue,
      number,
      title: issue.title ?? `New ${pull ? 'pull request' : 'issue'} ${number}`,
      body: issue.body === undefined ? 'Opened by a test.\n' : issue.body,
      state: closed ? 'closed' : 'open',
      labels: issue.labels ?? [],
      user: issue.user === undefined ? 'octocat' : issue.user,
      createdAt: at,
      updatedAt: at,
      closedAt: closed ? at : null,
      ...(pull ? { pull: { mergedAt: null, draft: pull.draft ?? false, head: pull.head ?? `patch-${number}`, headSha: hexFrom(`${state.fullName}#${number}@${at}`) } } : {}),
    });
    return number;
  };
  const edit = (issue: IssueState, patch: PullPatch) => {
    const at = stamp();
    if (patch.title !== undefined) issue.title = patch.title;
    if (patch.body !== undefined) issue.body = patch.body;
    if (patch.labels !== undefined) issue.labels = patch.labels;
    const closing = patch.state === 'closed' || patch.merged === true;
    if (closing && issue.state === 'open') issue.closedAt = at;
    if (patch.state === 'open') issue.closedAt = null;
    if (closing) issue.state = 'closed';
    else if (patch.state) issue.state = patch.state;
    if (patch.merged && issue.pull) issue.pull.mergedAt = at;
    issue.updatedAt = at;
  };
  const remove = (issue: IssueState) => {
    state.issues.delete(issue.number);
    for (const [id, comment] of state.comments) if (comment.issue === issue.number) state.comments.delete(id);
  };
  return {
    id: state.id,
    fullName: state.fullName,
    defaultBranch: state.defaultBranch,
    get treeSha() {
      return state.head?.tree;
    },
    get headSha() {
      return state.head?.commit;
    },
    writeFile(path, content, mode) {
      const stored = storedFile(content, mode);
      state.files.set(path, stored);
      state.objects.blobs.set(stored.sha, stored.content);
      push(`Update ${path}`);
      return stored.sha;
    },
    deleteFile(path) {
      if (!state.files.delete(path)) throw new Error(`fake GitHub: ${state.fullName} has no file ${path}`);
      push(`Delete ${path}`);
    },
    filePaths: () => [...state.files.keys()].sort(),
    fileText: (path) => state.files.get(path)?.content.toString('utf8'),
    fileSha: (path) => state.files.get(path)?.sha,
    addIssue: (issue = {}) => open(issue),
    editIssue: (number, patch) => edit(issueOf(number, false), patch),
    deleteIssue: (number) => remove(issueOf(number, false)),
    addPull: (pull = {}) => open(pull, pull),
    editPull: (number, patch) => edit(issueOf(number, true), patch),
    deletePull: (number) => remove(issueOf(number, true)),
    issueNumbers: () => [...state.issues.values()].filter((issue) => !issue.pull).map((issue) => issue.number),
    pullNumbers: () => [...state.issues.values()].filter((issue) => issue.pull).map((issue) => issue.number),
    updatedAt(number) {
      const issue = state.issues.get(number);
      if (!issue) throw new Error(`fake GitHub: ${state.fullName} has no issue or pull request #${number}`);
      return issue.updatedAt;
    },
    addComment(number, body, user = 'octocat') {
      const issue = state.issues.get(number);
      if (!issue) throw new Error(`fake GitHub: ${state.fullName} has no issue or pull request #${number}`);
      const at = stamp();
      issue.updatedAt = at;
      return addCommentState(state, ids, number, { user, body, created_at: at });
    },
    editComment(id, body) {
      const comment = commentOf(id);
      comment.body = body;
      comment.updatedAt = stamp();
    },
    deleteComment(id) {
      commentOf(id);
      state.comments.delete(id);
    },
    commentIds: (number) => [...state.comments.values()].filter((comment) => number === undefined || comment.issue === number).map((comment) => comment.id),
    commentBody: (id) => state.comments.get(id)?.body,
    churn(options) {
      const random = createRandom(options.seed ?? 1);
      const deleteShare = options.deleteShare ?? 0.2;
      const pick = <T>(items: T[], share: number | undefined): { edit: T[]; remove: T[] } => {
        const count = !share || share <= 0 ? 0 : Math.min(items.length, Math.ceil(items.length * share));
        const chosen = [...items];
        for (let i = chosen.length - 1; i > 0; i--) {
          const j = random.int(0, i);
          [chosen[i], chosen[j]] = [chosen[j] as T, chosen[i] as T];
        }
        const taken = chosen.slice(0, count);
        const removeCount = Math.round(taken.length * deleteShare);
        return { remove: taken.slice(0, removeCount), edit: taken.slice(removeCount) };
      };
      const at = stamp();
      const textPaths = [...state.files].filter(([, file]) => file.mode !== '120000' && !file.content.includes(0)).map(([path]) => path).sort();
      const files = pick(textPaths, options.files ?? options.share);
      for (const path of files.edit) {
        const file = state.files.get(path) as StoredFile;
        const stored = storedFile(Buffer.concat([file.content, Buffer.from(`\nChanged at ${at}.\n`)]), file.mode);
        state.files.set(path, stored);
        state.objects.blobs.set(stored.sha, stored.content);
      }
      for (const path of files.remove) state.files.delete(path);
      if (files.edit.length || files.remove.length) push(`Change ${files.edit.length} files, delete ${files.remove.length}`);

      const issues = pick([...state.issues.keys()].sort((a, b) => a - b), options.issues ?? options.share);
      for (const number of issues.edit) {
        const issue = state.issues.get(number) as IssueState;
        edit(issue, { body: `${issue.body ?? ''}\n\nEdited at ${at}.\n` });
      }
      for (const number of issues.remove) remove(state.issues.get(number) as IssueState);

      const comments = pick([...state.comments.keys()].sort((a, b) => a - b), options.comments ?? options.share);
      for (const id of comments.edit) {
        const comment = state.comments.get(id) as CommentState;
        comment.body = `${comment.body}\n\nEdited at ${at}.\n`;
        comment.updatedAt = at;
      }
      for (const id of comments.remove) state.comments.delete(id);
      return {
        files: { edited: files.edit, deleted: files.remove },
        issues: { edited: issues.edit, deleted: issues.remove },
        comments: { edited: comments.edit, deleted: comments.remove },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Rate limits.

interface Bucket {
  limit: number;
  used: number;
  /** Epoch ms of the window's end, a whole second. */
  resetAt: number;
  /** Request times in the last minute, for the secondary points limit. */
  recent: number[];
  inFlight: number;
}

const ANONYMOUS = '\0anonymous';

// ---------------------------------------------------------------------------------------------
// HTTP answers.

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Answers eligible for a 304. */
  etag?: boolean;
  lastModified?: string;
}

const DOCS = 'https://docs.github.com/rest';

function error(status: number, message: string, extra: Record<string, string> = {}): Answer {
  return { status, body: { message, documentation_url: DOCS, status: String(status) }, headers: extra };
}

const notFound = () => error(404, 'Not Found');

interface Request {
  url: URL;
  /** Path under the prefix. */
  path: string;
  /** `${origin}${prefix}`: the root every URL in a payload starts with. */
  api: string;
}

function paginate<T>(req: Request, items: T[], linkPath: string): { page: T[]; link?: string } {
  const rawPer = Number(req.url.searchParams.get('per_page') ?? 30);
  const perPage = Number.isInteger(rawPer) && rawPer >= 1 ? Math.min(rawPer, 100) : 30;
  const rawPage = Number(req.url.searchParams.get('page') ?? 1);
  const page = Number.isInteger(rawPage) && rawPage >= 1 ? rawPage : 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  if (items.length <= perPage && page === 1) return { page: slice };
  const params = new URLSearchParams(req.url.searchParams);
  params.delete('page');
  const at = (n: number) => {
    const query = new URLSearchParams(params);
    query.set('page', String(n));
    return `<${req.api}${linkPath}?${query.toString()}>`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`${at(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) rels.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
  if (page > 1) rels.push(`${at(1)}; rel="first"`);
  return { page: slice, link: rels.join(', ') || undefined };
}

function sinceFilter(req: Request): number | undefined | 'invalid' {
  const since = req.url.searchParams.get('since');
  if (since === null || since === '') return undefined;
  const at = Date.parse(since);
  return Number.isNaN(at) ? 'invalid' : at;
}

function compare<T>(key: (item: T) => string | number, direction: 'asc' | 'desc', tie: (item: T) => number) {
  return (a: T, b: T) => {
    const ka = key(a);
    const kb = key(b);
    const order = ka < kb ? -1 : ka > kb ? 1 : tie(a) - tie(b);
    return direction === 'asc' ? order : -order;
  };
}

function direction(value: string | null, fallback: 'asc' | 'desc'): 'asc' | 'desc' {
  return value === 'asc' || value === 'desc' ? value : fallback;
}

/** Starts the fake GitHub API on a free port of 127.0.0.1 (or `port`). */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 3_600_000;
  const prefix = (options.prefix ?? '').replace(/\/+$/, '');
  const etagPerToken = options.etagPerToken ?? true;
  let latencyMs = options.latencyMs ?? 0;
  const tokens: Map<string, FakeTokenOptions> | undefined = options.tokens
    ? new Map(Array.isArray(options.tokens) ? options.tokens.map((token) => [token, {}]) : Object.entries(options.tokens))
    : undefined;

  const ids: Ids = { repo: 100_000, issue: 2_000_000_000, comment: 1_000_000_000 };
  const repos = new Map<string, RepoState>();
  const handles = new Map<RepoState, FakeRepo>();
  const faults: (Fault & { left: number })[] = [];
  const buckets = new Map<string, Bucket>();

  const stats: FakeGitHubStats = {
    requests: 0,
    byRoute: {},
    byStatus: {},
    notModified: 0,
    charged: 0,
    rateLimited: 0,
    secondaryLimited: 0,
    log: [],
    reset() {
      Object.assign(stats, { requests: 0, byRoute: {}, byStatus: {}, notModified: 0, charged: 0, rateLimited: 0, secondaryLimited: 0, log: [] });
    },
  };

  function addRepo(seed: RepoSeed): FakeRepo {
    const key = `${seed.owner}/${seed.name}`.toLowerCase();
    if (repos.has(key)) throw new Error(`fake GitHub: ${seed.owner}/${seed.name} exists already`);
    const state = createRepoState(seed, ids, now);
    repos.set(key, state);
    const handle = repoHandle(state, ids, now);
    handles.set(state, handle);
    return handle;
  }
  for (const seed of options.repos ?? []) addRepo(seed);
  /** Stands in for a missing repository when a request is classified by route. */
  const placeholder = createRepoState({ owner: '-', name: '-' }, { repo: 0, issue: 0, comment: 0 }, now);

  function bucketOf(token: string | undefined): Bucket {
    const key = token ?? ANONYMOUS;
    const t = now();
    let bucket = buckets.get(key);
    if (!bucket || t >= bucket.resetAt) {
      const limit = token === undefined ? (options.anonymousRateLimit ?? 60) : (tokens?.get(token)?.limit ?? options.rateLimit ?? 5000);
      // A window opens with its first request and resets a fixed time later, announced in epoch seconds.
      bucket = { limit, used: 0, resetAt: Math.ceil((t + windowMs) / 1000) * 1000, recent: bucket?.recent ?? [], inFlight: bucket?.inFlight ?? 0 };
      buckets.set(key, bucket);
    }
    return bucket;
  }

  function rateHeaders(bucket: Bucket): Record<string, string> {
    return {
      'x-ratelimit-limit': String(bucket.limit),
      'x-ratelimit-remaining': String(Math.max(0, bucket.limit - bucket.used)),
      'x-ratelimit-used': String(bucket.used),
      'x-ratelimit-reset': String(bucket.resetAt / 1000),
      'x-ratelimit-resource': 'core',
    };
  }

  function takeFault(route: RouteKind): Fault | undefined {
    const index = faults.findIndex((fault) => fault.route === undefined || fault.route === route);
    if (index < 0) return undefined;
    const fault = faults[index] as Fault & { left: number };
    if (--fault.left <= 0) faults.splice(index, 1);
    return fault;
  }

  function secondaryAnswer(status: 403 | 429 = 403, retryAfterS: number | null = 60): Answer {
    return error(
      status,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE:0000.',
      retryAfterS === null ? {} : { 'retry-after': String(retryAfterS) },
    );
  }

  /** Automatic secondary limits: points per minute and concurrency, per token. */
  function secondaryLimit(bucket: Bucket): Answer | undefined {
    const rules = options.secondaryLimits;
    if (!rules) return undefined;
    const t = now();
    while (bucket.recent.length && (bucket.recent[0] as number) <= t - 60_000) bucket.recent.shift();
    if (rules.maxConcurrent !== undefined && bucket.inFlight > rules.maxConcurrent) return secondaryAnswer(403, 60);
    if (rules.pointsPerMinute !== undefined && bucket.recent.length >= rules.pointsPerMinute) {
      return secondaryAnswer(403, Math.max(1, Math.ceil(((bucket.recent[0] as number) + 60_000 - t) / 1000)));
    }
    bucket.recent.push(t);
    return undefined;
  }

  // --- payloads -------------------------------------------------------------------------------

  const userJson = (api: string, login: string | null) =>
    login === null
      ? null
      : {
          login,
          id: 1000 + [...login].reduce((sum, c) => sum + c.charCodeAt(0), 0),
          node_id: `U_${login}`,
          avatar_url: `https://avatars.githubusercontent.com/${login}`,
          url: `${api}/users/${login}`,
          html_url: `https://github.com/${login}`,
          type: 'User',
          site_admin: false,
        };

  const repoJson = (api: string, repo: RepoState) => ({
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: userJson(api, repo.owner),
    html_url: `https://github.com/${repo.fullName}`,
    description: repo.description,
    fork: false,
    url: `${api}/repos/${repo.fullName}`,
    issues_url: `${api}/repos/${repo.fullName}/issues{/number}`,
    pulls_url: `${api}/repos/${repo.fullName}/pulls{/number}`,
    trees_url: `${api}/repos/${repo.fullName}/git/trees{/sha}`,
    created_at: repo.createdAt,
    updated_at: repo.updatedAt,
    pushed_at: repo.pushedAt,
    size: Math.ceil([...repo.files.values()].reduce((sum, file) => sum + file.content.length, 0) / 1024),
    language: repo.language,
    default_branch: repo.defaultBranch,
    open_issues_count: [...repo.issues.values()].filter((issue) => issue.state === 'open').length,
    visibility: repo.private ? 'private' : 'public',
  });

  const commentCount = (repo: RepoState, number: number) => {
    let count = 0;
    for (const comment of repo.comments.values()) if (comment.issue === number) count++;
    return count;
  };

  const labelJson = (api: string, repo: RepoState, name: string) => ({
    id: 100 + [...name].reduce((sum, c) => sum * 31 + c.charCodeAt(0), 7) % 1_000_000,
    node_id: `LA_${name}`,
    url: `${api}/repos/${repo.fullName}/labels/${encodeURIComponent(name)}`,
    name,
    color: 'ededed',
    default: false,
    description: null,
  });

  const issueJson = (api: string, repo: RepoState, issue: IssueState) => {
    const base = `${api}/repos/${repo.fullName}`;
    const kind = issue.pull ? 'pull' : 'issues';
    return {
      url: `${base}/issues/${issue.number}`,
      repository_url: base,
      labels_url: `${base}/issues/${issue.number}/labels{/name}`,
      comments_url: `${base}/issues/${issue.number}/comments`,
      events_url: `${base}/issues/${issue.number}/events`,
      html_url: `https://github.com/${repo.fullName}/${kind}/${issue.number}`,
      id: issue.id,
      node_id: `I_${issue.id}`,
      number: issue.number,
      title: issue.title,
      user: userJson(api, issue.user),
      labels: issue.labels.map((name) => labelJson(api, repo, name)),
      state: issue.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: commentCount(repo, issue.number),
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: 'CONTRIBUTOR',
      body: issue.body,
      ...(issue.pull
        ? {
            draft: issue.pull.draft,
            pull_request: {
              url: `${base}/pulls/${issue.number}`,
              html_url: `https://github.com/${repo.fullName}/pull/${issue.number}`,
              diff_url: `https://github.com/${repo.fullName}/pull/${issue.number}.diff`,
              patch_url: `https://github.com/${repo.fullName}/pull/${issue.number}.patch`,
              merged_at: issue.pull.mergedAt,
            },
          }
        : { state_reason: issue.state === 'closed' ? 'completed' : null }),
    };
  };

  const pullJson = (api: string, repo: RepoState, issue: IssueState) => {
    const base = `${api}/repos/${repo.fullName}`;
    const pull = issue.pull as NonNullable<IssueState['pull']>;
    return {
      url: `${base}/pulls/${issue.number}`,
      id: issue.id,
      node_id: `PR_${issue.id}`,
      html_url: `https://github.com/${repo.fullName}/pull/${issue.number}`,
      diff_url: `https://github.com/${repo.fullName}/pull/${issue.number}.diff`,
      patch_url: `https://github.com/${repo.fullName}/pull/${issue.number}.patch`,
      issue_url: `${base}/issues/${issue.number}`,
      comments_url: `${base}/issues/${issue.number}/comments`,
      review_comments_url: `${base}/pulls/${issue.number}/comments`,
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      user: userJson(api, issue.user),
      body: issue.body,
      labels: issue.labels.map((name) => labelJson(api, repo, name)),
      milestone: null,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergedAt ? hexFrom(`${pull.headSha}:merge`) : null,
      draft: pull.draft,
      head: { label: `${repo.owner}:${pull.head}`, ref: pull.head, sha: pull.headSha },
      base: { label: `${repo.owner}:${repo.defaultBranch}`, ref: repo.defaultBranch, sha: repo.head?.commit ?? null },
      author_association: 'CONTRIBUTOR',
    };
  };

  const commentJson = (api: string, repo: RepoState, comment: CommentState) => ({
    url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${repo.fullName}/issues/${comment.issue}#issuecomment-${comment.id}`,
    issue_url: `${api}/repos/${repo.fullName}/issues/${comment.issue}`,
    id: comment.id,
    node_id: `IC_${comment.id}`,
    user: userJson(api, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    author_association: 'CONTRIBUTOR',
    body: comment.body,
  });

  /** Contents-API shape of a file. Above 1 MB GitHub sends no content (encoding "none"). */
  const contentJson = (api: string, repo: RepoState, path: string, file: StoredFile) => {
    const inline = file.content.length <= 1024 * 1024;
    return {
      type: file.mode === '120000' ? 'symlink' : 'file',
      encoding: inline ? 'base64' : 'none',
      size: file.content.length,
      name: path.split('/').pop(),
      path,
      content: inline ? wrapBase64(file.content) : '',
      sha: file.sha,
      url: `${api}/repos/${repo.fullName}/contents/${path}?ref=${repo.defaultBranch}`,
      git_url: `${api}/repos/${repo.fullName}/git/blobs/${file.sha}`,
      html_url: `https://github.com/${repo.fullName}/blob/${repo.defaultBranch}/${path}`,
      download_url: `https://raw.githubusercontent.com/${repo.fullName}/${repo.defaultBranch}/${path}`,
    };
  };

  // --- routes ---------------------------------------------------------------------------------

  function visible(repo: RepoState, token: string | undefined): boolean {
    return !repo.private || token !== undefined;
  }

  function listIssues(req: Request, repo: RepoState): Answer {
    const q = req.url.searchParams;
    const since = sinceFilter(req);
    if (since === 'invalid') return error(422, 'Validation Failed');
    const state = q.get('state') ?? 'open';
    const sort = q.get('sort') ?? 'created';
    const key = sort === 'updated' ? (i: IssueState) => i.updatedAt : sort === 'comments' ? (i: IssueState) => commentCount(repo, i.number) : (i: IssueState) => i.createdAt;
    const items = [...repo.issues.values()]
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => since === undefined || Date.parse(issue.updatedAt) >= since)
      .sort(compare(key, direction(q.get('direction'), 'desc'), (issue) => issue.number));
    const { page, link } = paginate(req, items, `/repositories/${repo.id}/issues`);
    return list(page.map((issue) => issueJson(req.api, repo, issue)), link);
  }

  function listPulls(req: Request, repo: RepoState): Answer {
    const q = req.url.searchParams;
    const state = q.get('state') ?? 'open';
    const sort = q.get('sort') ?? 'created';
    // GitHub: direction defaults to desc when sorting by created (the default), asc otherwise.
    const dir = direction(q.get('direction'), sort === 'created' ? 'desc' : 'asc');
    const key = sort === 'updated' ? (i: IssueState) => i.updatedAt : (i: IssueState) => i.createdAt;
    const items = [...repo.issues.values()]
      .filter((issue) => issue.pull && (state === 'all' || issue.state === state))
      .sort(compare(key, dir, (issue) => issue.number));
    const { page, link } = paginate(req, items, `/repositories/${repo.id}/pulls`);
    return list(page.map((issue) => pullJson(req.api, repo, issue)), link);
  }

  function listComments(req: Request, repo: RepoState, number: number | undefined): Answer {
    const q = req.url.searchParams;
    const since = sinceFilter(req);
    if (since === 'invalid') return error(422, 'Validation Failed');
    let items = [...repo.comments.values()]
      .filter((comment) => number === undefined || comment.issue === number)
      .filter((comment) => since === undefined || Date.parse(comment.updatedAt) >= since);
    const sort = number === undefined ? q.get('sort') : null;
    // Ascending id by default; `direction` is ignored without `sort` (repository-wide listing only).
    if (sort === 'created' || sort === 'updated') {
      const key = sort === 'updated' ? (c: CommentState) => c.updatedAt : (c: CommentState) => c.createdAt;
      items = items.sort(compare(key, direction(q.get('direction'), 'desc'), (comment) => comment.id));
    } else {
      items = items.sort((a, b) => a.id - b.id);
    }
    const path = number === undefined ? `/repositories/${repo.id}/issues/comments` : `/repositories/${repo.id}/issues/${number}/comments`;
    const { page, link } = paginate(req, items, path);
    return list(page.map((comment) => commentJson(req.api, repo, comment)), link);
  }

  function list(body: unknown[], link: string | undefined): Answer {
    return { status: 200, body, etag: true, headers: link ? { link } : {} };
  }

  /** A branch name, a commit sha or a tree sha, to a tree sha. */
  function resolveTree(repo: RepoState, ref: string): string | undefined {
    if (ref === repo.defaultBranch || ref === `heads/${repo.defaultBranch}` || ref === `refs/heads/${repo.defaultBranch}`) return repo.head?.tree;
    if (repo.objects.trees.has(ref)) return ref;
    return repo.objects.commits.get(ref)?.tree;
  }

  function treeAnswer(req: Request, repo: RepoState, ref: string): Answer {
    if (!repo.head) return error(409, 'Git Repository is empty.');
    const sha = resolveTree(repo, ref);
    if (!sha) return notFound();
    // GitHub: "Setting this parameter to any value returns the objects or subtrees" - even 0 or false.
    const recursive = req.url.searchParams.has('recursive');
    const entries: Record<string, unknown>[] = [];
    const walk = (treeSha: string, dir: string) => {
      for (const entry of repo.objects.trees.get(treeSha) ?? []) {
        const path = dir + entry.name;
        entries.push({
          path,
          mode: entry.mode,
          type: entry.type,
          sha: entry.sha,
          ...(entry.type === 'blob' ? { size: entry.size } : {}),
          url: `${req.api}/repos/${repo.fullName}/git/${entry.type === 'blob' ? 'blobs' : 'trees'}/${entry.sha}`,
        });
        if (recursive && entry.type === 'tree') walk(entry.sha, `${path}/`);
      }
    };
    walk(sha, '');
    // GitHub truncates above 100,000 entries (or 7 MB).
    const truncated = entries.length > 100_000;
    return {
      status: 200,
      etag: true,
      body: { sha, url: `${req.api}/repos/${repo.fullName}/git/trees/${sha}`, tree: truncated ? entries.slice(0, 100_000) : entries, truncated },
    };
  }

  function readmeFile(repo: RepoState): string | undefined {
    const candidates = [...repo.files.keys()].filter((path) => /^readme(\.[A-Za-z0-9]+)?$/i.test(path));
    return candidates.sort((a, b) => Number(!/\.md$/i.test(a)) - Number(!/\.md$/i.test(b)) || a.localeCompare(b))[0];
  }

  function contentsAnswer(req: Request, repo: RepoState, path: string): Answer {
    const file = repo.files.get(path);
    if (file) return { status: 200, etag: true, body: contentJson(req.api, repo, path, file) };
    const dir = path === '' ? '' : `${path}/`;
    const children = new Map<string, 'file' | 'dir'>();
    for (const filePath of repo.files.keys()) {
      if (!filePath.startsWith(dir)) continue;
      const [name, ...rest] = filePath.slice(dir.length).split('/');
      children.set(name as string, rest.length ? 'dir' : 'file');
    }
    if (!children.size) return notFound();
    const items = [...children].sort(([a], [b]) => a.localeCompare(b)).map(([name, type]) => {
      const full = dir + name;
      const stored = repo.files.get(full);
      return { type, name, path: full, sha: stored?.sha ?? null, size: stored?.content.length ?? 0, url: `${req.api}/repos/${repo.fullName}/contents/${full}` };
    });
    return { status: 200, etag: true, body: items };
  }

  function repoRoute(req: Request, repo: RepoState, rest: string[]): { route: RouteKind; answer: () => Answer } {
    const [a, b, c, ...more] = rest;
    const issueNumber = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);
    if (a === undefined) {
      return { route: 'repo', answer: () => ({ status: 200, etag: true, lastModified: repo.pushedAt > repo.updatedAt ? repo.pushedAt : repo.updatedAt, body: repoJson(req.api, repo) }) };
    }
    if (a === 'git' && b === 'trees' && c) return { route: 'tree', answer: () => treeAnswer(req, repo, [c, ...more].join('/')) };
    if (a === 'git' && b === 'blobs' && c && !more.length) {
      return {
        route: 'blob',
        answer: () => {
          const content = repo.objects.blobs.get(c);
          if (!content) return notFound();
          return { status: 200, etag: true, body: { sha: c, node_id: `B_${c.slice(0, 12)}`, size: content.length, url: `${req.api}/repos/${repo.fullName}/git/blobs/${c}`, content: wrapBase64(content), encoding: 'base64' } };
        },
      };
    }
    if (a === 'git' && (b === 'ref' || b === 'refs') && c === 'heads' && more.join('/') === repo.defaultBranch) {
      return {
        route: 'ref',
        answer: () =>
          repo.head
            ? { status: 200, etag: true, body: { ref: `refs/heads/${repo.defaultBranch}`, node_id: `REF_${repo.id}`, url: `${req.api}/repos/${repo.fullName}/git/refs/heads/${repo.defaultBranch}`, object: { sha: repo.head.commit, type: 'commit', url: `${req.api}/repos/${repo.fullName}/git/commits/${repo.head.commit}` } } }
            : error(409, 'Git Repository is empty.'),
      };
    }
    if (a === 'branches' && b && [b, c, ...more].filter(Boolean).join('/') === repo.defaultBranch) {
      return {
        route: 'branch',
        answer: () =>
          repo.head
            ? { status: 200, etag: true, body: { name: repo.defaultBranch, commit: { sha: repo.head.commit, commit: { tree: { sha: repo.head.tree } } }, protected: false } }
            : notFound(),
      };
    }
    if (a === 'commits' && b && c === undefined) {
      return {
        route: 'commit',
        answer: () => {
          const sha = b === repo.defaultBranch ? repo.head?.commit : repo.objects.commits.has(b) ? b : undefined;
          const commit = sha ? repo.objects.commits.get(sha) : undefined;
          if (!sha || !commit) return repo.head ? notFound() : error(409, 'Git Repository is empty.');
          return { status: 200, etag: true, lastModified: isoSeconds(commit.at), body: { sha, commit: { tree: { sha: commit.tree }, committer: { date: isoSeconds(commit.at) } }, parents: commit.parent ? [{ sha: commit.parent }] : [] } };
        },
      };
    }
    if (a === 'readme' && b === undefined) {
      return {
        route: 'readme',
        answer: () => {
          const path = readmeFile(repo);
          const file = path ? repo.files.get(path) : undefined;
          return path && file ? { status: 200, etag: true, body: contentJson(req.api, repo, path, file) } : notFound();
        },
      };
    }
    if (a === 'contents') return { route: 'contents', answer: () => contentsAnswer(req, repo, rest.slice(1).filter(Boolean).join('/')) };
    if (a === 'issues' && b === undefined) return { route: 'issues', answer: () => listIssues(req, repo) };
    if (a === 'issues' && b === 'comments' && c === undefined) return { route: 'repo-comments', answer: () => listComments(req, repo, undefined) };
    if (a === 'issues' && b === 'comments' && issueNumber(c) !== undefined && !more.length) {
      return {
        route: 'comment',
        answer: () => {
          const comment = repo.comments.get(Number(c));
          return comment ? { status: 200, etag: true, lastModified: comment.updatedAt, body: commentJson(req.api, repo, comment) } : notFound();
        },
      };
    }
    const number = issueNumber(b);
    if (a === 'issues' && number !== undefined && c === undefined) {
      return {
        route: 'issue',
        answer: () => {
          const issue = repo.issues.get(number);
          return issue ? { status: 200, etag: true, lastModified: issue.updatedAt, body: issueJson(req.api, repo, issue) } : notFound();
        },
      };
    }
    if (a === 'issues' && number !== undefined && c === 'comments' && !more.length) {
      return { route: 'issue-comments', answer: () => (repo.issues.has(number) ? listComments(req, repo, number) : notFound()) };
    }
    if (a === 'pulls' && b === undefined) return { route: 'pulls', answer: () => listPulls(req, repo) };
    if (a === 'pulls' && number !== undefined && c === undefined) {
      return {
        route: 'pull',
        answer: () => {
          const issue = repo.issues.get(number);
          return issue?.pull ? { status: 200, etag: true, lastModified: issue.updatedAt, body: pullJson(req.api, repo, issue) } : notFound();
        },
      };
    }
    return { route: 'unknown', answer: notFound };
  }

  function routeOf(req: Request, token: string | undefined, bucket: () => Bucket): { route: RouteKind; answer: () => Answer } {
    const parts = req.path.split('/').slice(1).map(decodeURIComponent);
    if (req.path === '/rate_limit') {
      return {
        route: 'rate-limit',
        answer: () => {
          const state = rateHeaders(bucket());
          const core = { limit: Number(state['x-ratelimit-limit']), remaining: Number(state['x-ratelimit-remaining']), used: Number(state['x-ratelimit-used']), reset: Number(state['x-ratelimit-reset']), resource: 'core' };
          return { status: 200, body: { resources: { core }, rate: core } };
        },
      };
    }
    if (req.path === '/user/repos') {
      return {
        route: 'user-repos',
        answer: () => {
          if (token === undefined) return error(401, 'Requires authentication');
          const q = req.url.searchParams;
          const login = tokens?.get(token)?.login;
          const affiliation = (q.get('affiliation') ?? 'owner,collaborator,organization_member').split(',');
          const onlyOwned = login !== undefined && affiliation.length === 1 && affiliation[0] === 'owner';
          const sort = q.get('sort') ?? 'full_name';
          const key = sort === 'created' ? (r: RepoState) => r.createdAt : sort === 'updated' ? (r: RepoState) => r.updatedAt : sort === 'pushed' ? (r: RepoState) => r.pushedAt : (r: RepoState) => r.fullName.toLowerCase();
          const items = [...repos.values()]
            .filter((repo) => !onlyOwned || repo.owner === login)
            .sort(compare(key, direction(q.get('direction'), sort === 'full_name' ? 'asc' : 'desc'), (repo) => repo.id));
          const { page, link } = paginate(req, items, '/user/repos');
          return list(page.map((repo) => repoJson(req.api, repo)), link);
        },
      };
    }
    let repo: RepoState | undefined;
    let rest: string[] = [];
    if (parts[0] === 'repos' && parts.length >= 3) {
      repo = repos.get(`${parts[1]}/${parts[2]}`.toLowerCase());
      rest = parts.slice(3);
    } else if (parts[0] === 'repositories' && parts[1] && /^\d+$/.test(parts[1])) {
      repo = [...repos.values()].find((candidate) => candidate.id === Number(parts[1]));
      rest = parts.slice(2);
    } else {
      return { route: 'unknown', answer: notFound };
    }
    if (!repo || !visible(repo, token)) {
      // Counted under its route kind all the same; the answer is GitHub's 404 for unknown and invisible repos alike.
      return { route: repoRoute(req, placeholder, rest).route, answer: notFound };
    }
    return repoRoute(req, repo, rest);
  }

  // --- the server -----------------------------------------------------------------------------

  function tokenOf(req: IncomingMessage): { token?: string; bad?: boolean } {
    const header = req.headers.authorization;
    if (!header) return {};
    const match = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
    if (!match) return { bad: true };
    const token = match[1] as string;
    if (tokens && !tokens.has(token)) return { bad: true };
    return { token };
  }

  function etagOf(body: string, token: string | undefined): string {
    return `W/"${createHash('sha256').update(etagPerToken ? `${token ?? ''}\0` : '').update(body).digest('hex').slice(0, 32)}"`;
  }

  function notModified(req: IncomingMessage, etag: string | undefined, lastModified: string | undefined): boolean {
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      if (!etag) return false;
      const strip = (tag: string) => tag.trim().replace(/^W\//, '');
      return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || strip(tag) === strip(etag));
    }
    const ifModifiedSince = req.headers['if-modified-since'];
    if (ifModifiedSince !== undefined && lastModified) {
      const since = Date.parse(ifModifiedSince);
      return !Number.isNaN(since) && Date.parse(lastModified) <= since;
    }
    return false;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    const url = new URL(req.url ?? '/', origin);
    const inPrefix = prefix === '' || url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
    const path = (inPrefix ? url.pathname.slice(prefix.length) : url.pathname).replace(/\/+$/, '') || '/';
    const request: Request = { url, path, api: `${origin}${prefix}` };
    const auth = tokenOf(req);
    const token = auth.token;

    const bucket = bucketOf(auth.bad ? undefined : token);
    bucket.inFlight++;
    let answer: Answer;
    let route: RouteKind = 'unknown';
    let charged = false;
    let etag: string | undefined;
    let payload: string | undefined;
    let fault: Fault | undefined;
    try {
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const routed = inPrefix ? routeOf(request, token, () => bucket) : { route: 'unknown' as RouteKind, answer: notFound };
      route = routed.route;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        answer = notFound();
        charged = true;
      } else if (auth.bad) {
        // Failed logins count against the anonymous limit.
        answer = error(401, 'Bad credentials');
        charged = true;
      } else if (route === 'rate-limit') {
        // GET /rate_limit is documented as free.
        answer = routed.answer();
      } else if (bucket.used >= bucket.limit) {
        answer = error(
          options.primaryLimitStatus ?? 403,
          `API rate limit exceeded for ${token ? 'user ID 1' : '127.0.0.1'}. If you reach out to GitHub Support for help, please include the request ID FAKE:0000.`,
        );
        stats.rateLimited++;
      } else if ((fault = takeFault(route))) {
        if (fault.kind === 'secondary') {
          answer = secondaryAnswer(fault.status, fault.retryAfterS === undefined ? 60 : fault.retryAfterS);
          stats.secondaryLimited++;
        } else {
          answer = error(fault.status, fault.message ?? (fault.status >= 500 ? 'Server Error' : 'Injected failure'));
          charged = true;
        }
      } else {
        const secondary = secondaryLimit(bucket);
        if (secondary) {
          answer = secondary;
          stats.secondaryLimited++;
        } else {
          answer = routed.answer();
          charged = true;
          if (answer.status === 200) {
            payload = JSON.stringify(answer.body);
            if (answer.etag) etag = etagOf(payload, token);
            if (notModified(req, etag, answer.lastModified)) {
              answer = { status: 304 };
              stats.notModified++;
              // Free only when the request was made with an Authorization header.
              charged = token === undefined;
            }
          }
        }
      }
    } catch (cause) {
      answer = error(500, `fake GitHub failed: ${(cause as Error).message}`);
    } finally {
      bucket.inFlight--;
    }

    if (charged) {
      bucket.used++;
      stats.charged++;
    }
    stats.requests++;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
    stats.log.push({ method: req.method ?? 'GET', path: `${path}${url.search}`, route, status: answer.status, charged });

    const headers: Record<string, string> = {
      ...rateHeaders(bucket),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': `FAKE:${stats.requests.toString(16).toUpperCase()}`,
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      'access-control-expose-headers': 'ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset',
      ...(answer.headers ?? {}),
    };
    if (etag) headers.etag = etag;
    if (answer.lastModified && (answer.status === 200 || answer.status === 304)) headers['last-modified'] = new Date(answer.lastModified).toUTCString();
    if (answer.status === 304) {
      res.writeHead(304, headers).end();
      return;
    }
    const body = payload ?? JSON.stringify(answer.body ?? {});
    headers['content-type'] = 'application/json; charset=utf-8';
    if (answer.status === 200) headers['cache-control'] = 'private, max-age=60, s-maxage=60';
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(answer.status, headers).end(req.method === 'HEAD' ? undefined : body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(cause));
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}${prefix}`,
    stats,
    rateLimit(token) {
      // A peek: a window opens with a request, not with a look at it.
      const current = buckets.get(token ?? ANONYMOUS);
      const bucket =
        current && now() < current.resetAt
          ? current
          : { limit: token === undefined ? (options.anonymousRateLimit ?? 60) : (tokens?.get(token)?.limit ?? options.rateLimit ?? 5000), used: 0, resetAt: Math.ceil((now() + windowMs) / 1000) * 1000, recent: [], inFlight: 0 };
      const headers = rateHeaders(bucket);
      return { limit: Number(headers['x-ratelimit-limit']), remaining: Number(headers['x-ratelimit-remaining']), used: Number(headers['x-ratelimit-used']), reset: Number(headers['x-ratelimit-reset']) };
    },
    setUsed(token, used) {
      bucketOf(token).used = used;
    },
    resetRateLimits() {
      buckets.clear();
    },
    inject(fault) {
      faults.push({ ...fault, left: fault.count ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    addRepo,
    removeRepo(fullName) {
      const key = fullName.toLowerCase();
      const state = repos.get(key);
      if (state) handles.delete(state);
      repos.delete(key);
    },
    repo(fullName) {
      const state = repos.get(fullName.toLowerCase());
      const handle = state && handles.get(state);
      if (!handle) throw new Error(`fake GitHub: no repository ${fullName}`);
      return handle;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Base64 wrapped at 60 characters per line, as GitHub's blob and contents APIs send it. */
function wrapBase64(content: Buffer): string {
  const flat = content.toString('base64');
  let out = '';
  for (let i = 0; i < flat.length; i += 60) out += `${flat.slice(i, i + 60)}\n`;
  return out;
}
