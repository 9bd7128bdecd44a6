/**
 * `issues`: every issue of each repo, with its comments: a full listing, so an issue deleted at
 * GitHub (which has no feed of deletions) is removed from the sink. Per repo:
 * 1. the whole issues listing, oldest created first (a new issue changes only the last page), each
 *    page asked conditionally: a 304 is free and reports the ids the page held as unchanged. On a
 *    page answered 200, an issue whose updated_at and comment count match what a completed run
 *    delivered is reported unchanged without reading its thread; any other issue with comments
 *    costs one more request for its thread. Deleting an issue shifts the later pages: they answer
 *    200, and cost one request each;
 * 2. on incremental syncs, the repo-wide comment listing with `since`: editing a comment does not
 *    change its issue's updated_at, so threads with a comment edited since are read again here.
 * A thread is always read whole, so a re-read drops deleted comments. A deleted comment leaves the
 * issue's updated_at alone but lowers its comment count, which step 1 compares too.
 * The issues endpoint lists pull requests too; those are dropped (the `pulls` stream has them).
 * A rate limit while reading threads keeps the issues finished before it (see checkpoint.ts).
 */
import { z } from 'zod';
import type { ConnectorState, ItemFailure, SourceRecord, StreamDefinition } from 'sluice';
import { keepOrThrow, mapUntilRateLimit } from '../checkpoint.js';
import { REQUESTS_IN_FLIGHT, type ClientFor, type GithubApi } from '../client.js';
import { isTrusted, readConditionalPage, type BuiltPage, type ListingRun } from '../conditional.js';
import { isStatus } from '../errors.js';
import { recordId, toComment, toIssue } from '../mappers.js';
import type { GithubComment, GithubIssue } from '../models.js';
import { latest, repoPath, reposParam, walkRepos, type RepoRef, type RepoStep } from '../repos.js';
import { parseList, parseObject, rawComment, rawIssue, rawRepoComment, type RawIssue } from '../schemas.js';

const params = z.object({
  repos: reposParam,
  /** Attach comments (one more request per commented issue); true by default. */
  comments: z.boolean().optional(),
});
export type IssuesParams = z.infer<typeof params>;

/** A page of issues, or of the comment listing (`edits`); its first `skip` items were already delivered. */
const position = z.object({
  url: z.string(),
  edits: z.literal(true).optional(),
  skip: z.number().int().positive().optional(),
});
type Position = z.infer<typeof position>;

type Thread = { record?: SourceRecord<GithubIssue>; failure?: ItemFailure; unchangedId?: string };

/**
 * What completed runs delivered, per repo: issue number to [updated_at and comment count, stamp of
 * the delivering run]. Trusted only when the stamp is no later than `since` (see delivered.ts).
 */
const knownIssues = z.record(z.string(), z.tuple([z.string(), z.string()]));
type KnownIssues = z.infer<typeof knownIssues>;
const knownKey = (repo: RepoRef) => `issues:${repo.fullName}`;

async function loadKnown(state: ConnectorState, repo: RepoRef): Promise<KnownIssues> {
  try {
    const parsed = knownIssues.safeParse(JSON.parse((await state.get(knownKey(repo))) ?? '{}'));
    return parsed.success ? parsed.data : {};
  } catch {
    // Unreadable: trust nothing, every thread is read again.
    return {};
  }
}

/** What decides whether a thread must be read again; the comment count catches a deleted comment. */
const versionOf = (issue: RawIssue, withComments: boolean) => `${issue.updated_at}|${withComments ? issue.comments : '-'}`;

export function issuesStream(clientFor: ClientFor): StreamDefinition<GithubIssue, IssuesParams> {
  return {
    changeFeed: 'full',
    fullListing: true,
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      const withComments = context.params.comments ?? true;
      const { since, state } = context;
      return walkRepos({
        stream: 'issues',
        api,
        context,
        cursor,
        position,
        async readRepo(repo, at, run): Promise<RepoStep<GithubIssue, Position>> {
          const url =
            at?.url ?? api.url(`${repoPath(repo)}/issues`, { state: 'all', sort: 'created', direction: 'asc', per_page: api.options.perPage });
          const skip = at?.skip ?? 0;
          const edits = at?.edits === true;
          const listing = { stamp: run.until, since };
          const page = await readPage(
            api,
            state,
            url,
            skip,
            (data) => (edits && since ? editedThreads(api, repo, data, url, since, skip) : listedThreads(api, state, repo, data, url, skip, withComments, listing)),
            edits ? undefined : listing,
          );
          let next: Position | undefined;
          if (page.resumeAt !== undefined) next = { url, ...(edits ? { edits: true as const } : {}), skip: page.resumeAt };
          else if (page.next) next = { url: page.next, ...(edits ? { edits: true as const } : {}) };
          else if (!edits && withComments && since) {
            const comments = api.url(`${repoPath(repo)}/issues/comments`, { since, sort: 'updated', direction: 'asc', per_page: api.options.perPage });
            next = { url: comments, edits: true };
          }
          // A listing page is stamped with the run's start: once the run completes, what it read is trusted.
          const watermark = edits ? page.watermark : run.until;
          return { records: page.records, failures: page.failures, unchanged: page.unchanged, unchangedIds: page.unchangedIds, watermark, next };
        },
      });
    },
  };
}

interface ThreadsPage extends BuiltPage<GithubIssue> {
  /** Set when a rate limit cut the page: index of the first item not delivered. */
  resumeAt?: number;
}

/**
 * One page, conditionally; a page resumed after a rate limit is read again in full (its ETag was
 * not kept) and its first `skip` items are not read again.
 */
async function readPage(
  api: GithubApi,
  state: ConnectorState,
  url: string,
  skip: number,
  build: (data: unknown) => Promise<ThreadsPage>,
  listing: ListingRun | undefined,
) {
  if (skip > 0) {
    const response = await api.getFresh(url);
    const built = await build(response.data);
    return { ...built, next: response.next, unchanged: built.unchangedIds?.length || undefined };
  }
  let resumeAt: number | undefined;
  const page = await readConditionalPage(
    api,
    state,
    url,
    async (data) => {
      const built = await build(data);
      resumeAt = built.resumeAt;
      return built;
    },
    listing,
  );
  return { ...page, resumeAt };
}

/**
 * Threads of an issues page, from `skip` on: those a completed run delivered as they are now are
 * unchanged ids; the others are read. What was read is remembered, stamped with this run.
 */
async function listedThreads(
  api: GithubApi,
  state: ConnectorState,
  repo: RepoRef,
  data: unknown,
  url: string,
  skip: number,
  withComments: boolean,
  listing: ListingRun,
): Promise<ThreadsPage> {
  const issues = parseList(rawIssue, data, api.endpoint(url)).filter((item) => item.pull_request == null);
  const known = await loadKnown(state, repo);
  const page = await readThreads(
    issues.slice(skip),
    async (issue): Promise<Thread> => {
      const entry = known[issue.number];
      if (entry && entry[0] === versionOf(issue, withComments) && isTrusted(entry[1], listing.since)) return { unchangedId: recordId.issue(repo.fullName, issue.number) };
      return readThread(api, repo, withComments ? issue : { ...issue, comments: 0 });
    },
    skip,
  );
  const read = new Set(page.records.map((record) => record.data.number));
  const delivered = issues.filter((issue) => read.has(issue.number));
  if (delivered.length > 0) {
    // Pages of one repo are read one after another, so this read-modify-write loses nothing; a lost
    // update would only make a thread look new.
    const latestKnown = await loadKnown(state, repo);
    for (const issue of delivered) latestKnown[issue.number] = [versionOf(issue, withComments), listing.stamp];
    await state.set(knownKey(repo), JSON.stringify(latestKnown));
  }
  return page;
}

/**
 * Threads with a comment edited since the last sync: created before `since`, updated after it.
 * (A new comment updates its issue, so the issues listing already had that thread.) The watermark
 * moves to the last edit seen, so the next sync does not read these threads again.
 */
async function editedThreads(api: GithubApi, repo: RepoRef, data: unknown, url: string, since: string, skip: number): Promise<ThreadsPage> {
  const comments = parseList(rawRepoComment, data, api.endpoint(url));
  const sinceMs = Date.parse(since);
  const numbers = new Set<number>();
  for (const comment of comments) {
    const number = Number(/\/issues\/(\d+)$/.exec(comment.issue_url)?.[1]);
    if (Number.isInteger(number) && Date.parse(comment.created_at) < sinceMs && Date.parse(comment.updated_at) >= sinceMs) numbers.add(number);
  }
  const page = await readThreads([...numbers].slice(skip), (number) => readThreadOf(api, repo, number), skip);
  // A page that named threads is not remembered: a 304 must never stand for threads a failed run read.
  return { ...page, partial: page.partial || numbers.size > 0, watermark: latest(comments.map((comment) => comment.updated_at)) };
}

async function readThreads<T>(items: T[], read: (item: T) => Promise<Thread>, skip: number): Promise<ThreadsPage> {
  const { done, limited } = keepOrThrow(await mapUntilRateLimit(items, REQUESTS_IN_FLIGHT, read));
  return {
    records: done.flatMap((thread) => (thread.record ? [thread.record] : [])),
    failures: done.flatMap((thread) => (thread.failure ? [thread.failure] : [])),
    unchangedIds: done.flatMap((thread) => (thread.unchangedId ? [thread.unchangedId] : [])),
    ...(limited ? { partial: true, resumeAt: skip + done.length } : {}),
  };
}

/** An issue with its whole discussion. */
async function readThread(api: GithubApi, repo: RepoRef, issue: RawIssue): Promise<Thread> {
  try {
    const comments = issue.comments > 0 ? await readComments(api, issue) : [];
    return { record: toIssue(repo.fullName, issue, comments) };
  } catch (error) {
    // The issue was deleted or transferred between the list and its comments.
    if (!isStatus(error, 404)) throw error;
    return { failure: { id: recordId.issue(repo.fullName, issue.number), reason: 'comments not found (404): issue deleted or transferred' } };
  }
}

/** The thread of issue `number`; nothing for a pull request, or an issue gone since its comment was edited. */
async function readThreadOf(api: GithubApi, repo: RepoRef, number: number): Promise<Thread> {
  const url = api.url(`${repoPath(repo)}/issues/${number}`);
  try {
    const issue = parseObject(rawIssue, (await api.getFresh(url)).data, api.endpoint(url));
    return issue.pull_request == null ? readThread(api, repo, issue) : {};
  } catch (error) {
    if (isStatus(error, 404)) return {};
    throw error;
  }
}

/**
 * All comments of one issue, read inside the issue page: a record is the issue with its
 * discussion, and comment counts are small (GitHub pages them by 100; long threads cost a few requests).
 */
async function readComments(api: GithubApi, issue: RawIssue): Promise<GithubComment[]> {
  const url = new URL(issue.comments_url);
  url.searchParams.set('per_page', '100');
  const items = await api.getAll(url.toString());
  return parseList(rawComment, items, api.endpoint(issue.comments_url)).map(toComment);
}
