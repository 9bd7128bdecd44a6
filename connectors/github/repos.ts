/**
 * Walks the repositories of a per-repo stream (files, readme, issues, pulls), one provider
 * request per page. Repos come from the stream params, else the run input, else the user's
 * own repos, listed a page at a time so the cursor holds at most one listing page.
 */
import { z } from 'zod';
import type { ItemFailure, Page, ReadContext, SourceRecord } from 'sluice';
import { checkCursor, decodeCursor, encodeCursor } from './cursor.js';
import { isStatus } from './errors.js';
import type { GithubApi } from './http.js';
import { parseList, rawRepo, type RawRepo } from './schemas.js';
import { earliest, isoSeconds } from './time.js';

const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** The `repos` stream param: "owner/name" strings. */
export const reposParam = z.array(z.string().regex(REPO_NAME, 'expected "owner/name"')).optional();

export interface RepoRef {
  fullName: string;
  /** Known when the repo came from the user's listing; saves a request in `files`. */
  defaultBranch?: string;
}

/** `/repos/{owner}/{name}`, escaped. */
export function repoPath(repo: RepoRef): string {
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

const walkCursor = z.object({
  /** Index of the current repo in the named list, or in `list.repos`. */
  i: z.number().int().nonnegative(),
  /** When no repos were named: the current page of the user's listing ([name, default branch]) and the next page's URL. */
  list: z.object({ repos: z.array(z.tuple([z.string(), z.string()])), next: z.string().optional() }).optional(),
  /** Position inside the current repo, owned by the stream. */
  at: z.unknown().optional(),
  /** Watermark ceiling, see below. */
  until: z.string(),
});
type WalkCursor = z.infer<typeof walkCursor>;

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
  readRepo(repo: RepoRef, at: A | undefined): Promise<RepoStep<T, A>>;
}

export async function walkRepos<T, A>(args: WalkArgs<T, A>): Promise<Page<T>> {
  const { api, context, stream } = args;
  const named = namedRepos(context.params, context.input);
  const state: WalkCursor = args.cursor
    ? decodeCursor(walkCursor, args.cursor, stream)
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
    return { records: [], nextCursor: encodeCursor({ i: 0, until: state.until, list } satisfies WalkCursor) };
  }

  const [fullName, defaultBranch] = repos[state.i] as [string, string | undefined];
  let step: RepoStep<T, A>;
  if (!REPO_NAME.test(fullName)) {
    step = { records: [], failures: [{ id: fullName, reason: 'not a repository name of the form "owner/name"' }] };
  } else {
    const at = state.at === undefined ? undefined : checkCursor(args.position, state.at, stream);
    try {
      step = await args.readRepo({ fullName, defaultBranch }, at);
    } catch (error) {
      // GitHub answers 404 for private repos the token cannot see, too.
      if (!isStatus(error, 404)) throw error;
      step = { records: [], failures: [{ id: fullName, reason: `repository ${fullName} not found, or not visible to this token (404)` }] };
    }
  }

  const page: Page<T> = { records: step.records };
  if (step.failures?.length) page.failures = step.failures;
  if (step.unchanged) page.unchanged = step.unchanged;
  if (step.watermark) page.watermark = earliest([step.watermark, state.until]);
  const nextState: WalkCursor | undefined =
    step.next !== undefined
      ? { ...state, at: step.next }
      : state.i + 1 < repos.length || state.list?.next
        ? { ...state, i: state.i + 1, at: undefined }
        : undefined;
  if (nextState) page.nextCursor = encodeCursor(nextState);
  return page;
}
