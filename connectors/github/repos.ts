/**
 * Walks the repositories of a per-repo stream (files, readme, issues, pulls). Repos come from the
 * stream params, else the run input, else the user's own repos, listed a page at a time; each
 * repo is read as a fork of its own, in parallel with the others.
 */
import { z } from 'zod';
import { SourceError, cursorCodec, type ItemFailure, type Page, type ReadContext, type SourceRecord } from 'sluice';
import type { GithubApi } from './client.js';
import { CONNECTOR, isStatus } from './errors.js';
import { parseList, rawRepo, type RawRepo } from './schemas.js';

/**
 * GitHub's grammar: an owner is letters, digits, `-` (and `_` for managed users), not starting with
 * `-`, at most 39 characters; a repo name is letters, digits, `.`, `_`, `-`, at most 100, and never
 * `.` or `..`. Names travel into URL paths: `../user` would turn `/repos/../user` into `/user`.
 */
const OWNER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export function isRepoName(fullName: string): boolean {
  const parts = fullName.split('/');
  if (parts.length !== 2) return false;
  const [owner = '', name = ''] = parts;
  return OWNER.test(owner) && NAME.test(name) && name !== '.' && name !== '..';
}

export function notARepoName(fullName: string): string {
  return `${JSON.stringify(fullName.slice(0, 200))} is not a repository name of the form "owner/name"`;
}

/** The `repos` stream param: "owner/name" strings. */
export const reposParam = z
  .array(
    z.string().superRefine((value, ctx) => {
      if (!isRepoName(value)) ctx.addIssue({ code: 'custom', message: notARepoName(value) });
    }),
  )
  .optional();

export interface RepoRef {
  fullName: string;
  /** Known when the repo came from the user's listing; saves a request in `files`. */
  defaultBranch?: string;
}

/** `/repos/{owner}/{name}`, escaped; a name outside the grammar never reaches a URL. */
export function repoPath(repo: RepoRef): string {
  if (!isRepoName(repo.fullName)) throw new SourceError(`github: ${notARepoName(repo.fullName)}`, CONNECTOR);
  const [owner = '', name = ''] = repo.fullName.split('/');
  return `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

export function userReposUrl(api: GithubApi, affiliation = 'owner'): string {
  return api.url('/user/repos', { affiliation, sort: 'full_name', per_page: api.options.perPage });
}

export async function readUserReposPage(api: GithubApi, url: string): Promise<{ repos: RawRepo[]; next?: string }> {
  const page = await api.getFresh(url);
  return { repos: parseList(rawRepo, page.data, api.endpoint(url)), next: page.next };
}

/** Repos named by the stream params, else by the run input; undefined means "the user's repos". */
function namedRepos(params: { repos?: string[] }, input: Record<string, unknown>): string[] | undefined {
  if (params.repos) return params.repos;
  const repos = input.repos;
  return Array.isArray(repos) && repos.every((repo) => typeof repo === 'string') ? repos : undefined;
}

/**
 * The walk's cursor, with `at` validated by the stream's own position schema. Either a page of the
 * user's repo listing (`list`), or one repo (`repo`) at a position inside it: repos are independent,
 * so each is a fork of its own and several are read at once.
 */
function walkCursor<A>(position: z.ZodType<A>) {
  return z
    .object({
      /** The user's repo listing page to read next. */
      list: z.string().optional(),
      /** [full name, default branch when known]. */
      repo: z.tuple([z.string(), z.string().nullable()]).optional(),
      /** Position inside the repo, owned by the stream. */
      at: position.optional(),
      /** Watermark ceiling, see below. */
      until: z.string(),
    })
    .refine((cursor) => (cursor.list === undefined) !== (cursor.repo === undefined), { message: 'names neither a listing page nor a repo', path: ['repo'] });
}
type WalkCursor<A> = z.output<ReturnType<typeof walkCursor<A>>>;

/**
 * Watermarks are capped at the run's start minus this margin: an item updated in repo A after A
 * was read must not fall below a watermark raised later by repo B. The margin absorbs clock skew
 * with GitHub; items near it are read twice, which their hash makes free.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface RepoStep<T, A> {
  records: SourceRecord<T>[];
  failures?: ItemFailure[];
  unchanged?: number;
  /** Ids of the unchanged records, when the stream knows them. */
  unchangedIds?: string[];
  watermark?: string;
  /** Where to resume inside this repo; absent when the repo is done. */
  next?: A;
  /** Other positions inside this repo that can be read at the same time as `next`. */
  fork?: A[];
}

export interface WalkArgs<T, A> {
  stream: string;
  api: GithubApi;
  context: ReadContext<{ repos?: string[] }>;
  cursor: string | undefined;
  /** Schema of the stream's position inside a repo. */
  position: z.ZodType<A>;
  /** `run.until` is fixed for the whole run: streams use it to stamp what the run delivered. */
  readRepo(repo: RepoRef, at: A | undefined, run: { until: string }): Promise<RepoStep<T, A>>;
}

/**
 * One page of the walk. The first page reads the first repo and forks the others (named repos),
 * or reads the first page of the user's listing; a listing page forks each repo it lists.
 */
export async function walkRepos<T, A>(args: WalkArgs<T, A>): Promise<Page<T>> {
  const { api, context, stream } = args;
  const codec = cursorCodec(walkCursor(args.position), { connector: CONNECTOR, stream });
  let cursor: WalkCursor<A>;
  const fork: WalkCursor<A>[] = [];
  if (args.cursor) {
    cursor = codec.decode(args.cursor);
  } else {
    const until = isoSeconds(Date.now() - CLOCK_SKEW_MS);
    const named = namedRepos(context.params, context.input);
    if (!named) cursor = { list: userReposUrl(api), until };
    else if (named.length === 0) return { records: [] };
    else {
      const [first, ...rest] = named.map((name): WalkCursor<A> => ({ repo: [name, null], until }));
      cursor = first!;
      fork.push(...rest);
    }
  }

  // A page of the user's listing: no records; each repo in it, and the next listing page, is a fork.
  if (cursor.list !== undefined) {
    const { repos: listed, next } = await readUserReposPage(api, cursor.list);
    const until = cursor.until;
    const forks = listed.map((repo): WalkCursor<A> => ({ repo: [repo.full_name, repo.default_branch], until }));
    if (next) forks.push({ list: next, until });
    return withForks({ records: [] }, forks.map((c) => codec.encode(c)));
  }

  const [fullName, defaultBranch] = cursor.repo!;
  let step: RepoStep<T, A>;
  if (!isRepoName(fullName)) {
    step = { records: [], failures: [{ id: fullName, reason: notARepoName(fullName) }] };
  } else {
    try {
      step = await args.readRepo({ fullName, defaultBranch: defaultBranch ?? undefined }, cursor.at, { until: cursor.until });
    } catch (error) {
      // GitHub answers 404 for private repos the token cannot see, too.
      if (!isStatus(error, 404)) throw error;
      step = { records: [], failures: [{ id: fullName, reason: `repository ${fullName} not found, or not visible to this token (404)` }] };
    }
  }

  const page: Page<T> = { records: step.records };
  if (step.failures?.length) page.failures = step.failures;
  if (step.unchanged) page.unchanged = step.unchanged;
  if (step.unchangedIds?.length) page.unchangedIds = step.unchangedIds;
  if (step.watermark) page.watermark = earliest([step.watermark, cursor.until]);
  if (step.next !== undefined) page.nextCursor = codec.encode({ ...cursor, at: step.next });
  for (const at of step.fork ?? []) fork.push({ ...cursor, at });
  return withForks(page, fork.map((c) => codec.encode(c)));
}

function withForks<T>(page: Page<T>, fork: string[]): Page<T> {
  return fork.length ? { ...page, fork } : page;
}

/** ISO timestamps compared as instants: GitHub writes "…:00Z", Date writes "…:00.000Z", so strings do not compare. */
export function latest(times: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const time of times) if (best === undefined || Date.parse(time) > Date.parse(best)) best = time;
  return best;
}

export function earliest(times: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const time of times) if (best === undefined || Date.parse(time) < Date.parse(best)) best = time;
  return best;
}

/** GitHub's own format, to the second. */
function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
