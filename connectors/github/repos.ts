/**
 * Walks the repositories of a per-repo stream (files, readme, issues, pulls), one provider
 * request per page. Repos come from the stream params, else the run input, else the user's
 * own repos, listed a page at a time so the cursor holds at most one listing page.
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

/** The walk's cursor, with `at` validated by the stream's own position schema. */
function walkCursor<A>(position: z.ZodType<A>) {
  return z.object({
    /** Index of the current repo in the named list, or in `list.repos`. */
    i: z.number().int().nonnegative(),
    /** When no repos were named: the current page of the user's listing ([name, default branch]) and the next page's URL. */
    list: z.object({ repos: z.array(z.tuple([z.string(), z.string()])), next: z.string().optional() }).optional(),
    /** Position inside the current repo, owned by the stream. */
    at: position.optional(),
    /** Watermark ceiling, see below. */
    until: z.string(),
  });
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

export async function walkRepos<T, A>(args: WalkArgs<T, A>): Promise<Page<T>> {
  const { api, context, stream } = args;
  const named = namedRepos(context.params, context.input);
  const codec = cursorCodec(walkCursor(args.position), { connector: CONNECTOR, stream });
  const state: WalkCursor<A> = args.cursor
    ? codec.decode(args.cursor)
    : {
        i: 0,
        until: isoSeconds(Date.now() - CLOCK_SKEW_MS),
        list: named ? undefined : { repos: [], next: userReposUrl(api) },
      };
  const repos: [string, string | undefined][] = state.list ? state.list.repos : (named ?? []).map((name) => [name, undefined]);

  // Past the end of the current listing page: read the next one, if any (a page without records).
  if (state.i >= repos.length) {
    const listUrl = state.list?.next;
    if (!listUrl) return { records: [] };
    const { repos: listed, next } = await readUserReposPage(api, listUrl);
    if (listed.length === 0 && !next) return { records: [] };
    const list = { repos: listed.map((repo): [string, string] => [repo.full_name, repo.default_branch]), next };
    return { records: [], nextCursor: codec.encode({ i: 0, until: state.until, list }) };
  }

  const [fullName, defaultBranch] = repos[state.i] as [string, string | undefined];
  let step: RepoStep<T, A>;
  if (!isRepoName(fullName)) {
    step = { records: [], failures: [{ id: fullName, reason: notARepoName(fullName) }] };
  } else {
    try {
      step = await args.readRepo({ fullName, defaultBranch }, state.at, { until: state.until });
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
  if (step.watermark) page.watermark = earliest([step.watermark, state.until]);
  const nextState: WalkCursor<A> | undefined =
    step.next !== undefined
      ? { ...state, at: step.next }
      : state.i + 1 < repos.length || state.list?.next
        ? { ...state, i: state.i + 1, at: undefined }
        : undefined;
  if (nextState) page.nextCursor = codec.encode(nextState);
  return page;
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
