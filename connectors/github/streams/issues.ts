/**
 * `issues`: issues of each repo updated since the last sync, with their comments.
 * The issues endpoint lists pull requests too; those are dropped (the `pulls` stream has them).
 */
import { z } from 'zod';
import type { ItemFailure, SourceRecord, StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { readConditionalPage } from '../conditional.js';
import { isStatus } from '../errors.js';
import type { GithubApi } from '../http.js';
import { toComment, toIssue } from '../mappers.js';
import type { GithubComment, GithubIssue } from '../models.js';
import { mapLimit, REQUESTS_IN_FLIGHT } from '../pool.js';
import { repoPath, reposParam, walkRepos } from '../repos.js';
import { parseList, rawComment, rawIssue, type RawIssue } from '../schemas.js';
import { latest } from '../time.js';

const params = z.object({
  repos: reposParam,
  /** Attach comments (one more request per commented issue); true by default. */
  comments: z.boolean().optional(),
});
export type IssuesParams = z.infer<typeof params>;

const position = z.object({ url: z.string() });

export function issuesStream(clientFor: ClientFor): StreamDefinition<GithubIssue, IssuesParams> {
  return {
    changeFeed: 'since',
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      const withComments = context.params.comments ?? true;
      return walkRepos({
        stream: 'issues',
        api,
        context,
        cursor,
        position,
        async readRepo(repo, at) {
          // Sorted by last update, newest first: an issue updated mid-sync moves to page 1 and shifts
          // the others down, so pages repeat an item rather than skip one; the next sync picks it up.
          const url =
            at?.url ??
            api.url(`${repoPath(repo)}/issues`, {
              state: 'all',
              sort: 'updated',
              direction: 'desc',
              since: context.since,
              per_page: api.options.perPage,
            });
          const page = await readConditionalPage(api, context.state, url, async (data) => {
            const issues = parseList(rawIssue, data, api.endpoint(url)).filter((item) => item.pull_request == null);
            const failures: ItemFailure[] = [];
            const records: SourceRecord<GithubIssue>[] = [];
            const read = await mapLimit(issues, REQUESTS_IN_FLIGHT, async (issue) => {
              try {
                const comments = withComments && issue.comments > 0 ? await readComments(api, issue) : [];
                return toIssue(repo.fullName, issue, comments);
              } catch (error) {
                // The issue was deleted or transferred between the list and its comments.
                if (!isStatus(error, 404)) throw error;
                failures.push({ id: `${repo.fullName}#${issue.number}`, reason: 'comments not found (404): issue deleted or transferred' });
                return undefined;
              }
            });
            for (const record of read) if (record) records.push(record);
            return { records, failures, watermark: latest(records.map((record) => record.data.updatedAt)) };
          });
          return {
            records: page.records,
            failures: page.failures,
            unchanged: page.unchanged,
            watermark: page.watermark,
            next: page.next ? { url: page.next } : undefined,
          };
        },
      });
    },
  };
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
