/**
 * `pulls`: pull requests of each repo, all of them on every run (a full listing, so a deleted pull
 * request is removed from the sink). Pages are sorted oldest created first, so a new pull request
 * changes only the last page; every page is asked conditionally and a 304 (free) reports the ids
 * the page held as unchanged. A page answered 200 delivers its pull requests; those whose content
 * did not change are skipped by their hash.
 */
import { z } from 'zod';
import type { StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { readConditionalPage } from '../conditional.js';
import { toPull } from '../mappers.js';
import type { GithubPull } from '../models.js';
import { repoPath, reposParam, walkRepos } from '../repos.js';
import { parseList, rawPull } from '../schemas.js';

const params = z.object({ repos: reposParam });
export type PullsParams = z.infer<typeof params>;

const position = z.object({ url: z.string() });

export function pullsStream(clientFor: ClientFor): StreamDefinition<GithubPull, PullsParams> {
  return {
    changeFeed: 'full',
    fullListing: true,
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      return walkRepos({
        stream: 'pulls',
        api,
        context,
        cursor,
        position,
        async readRepo(repo, at, run) {
          const url = at?.url ?? api.url(`${repoPath(repo)}/pulls`, { state: 'all', sort: 'created', direction: 'asc', per_page: api.options.perPage });
          const page = await readConditionalPage(
            api,
            context.state,
            url,
            async (data) => ({ records: parseList(rawPull, data, api.endpoint(url)).map((pull) => toPull(repo.fullName, pull)), failures: [] }),
            { stamp: run.until, since: context.since },
          );
          // The run's start stamps what it read: once the run completes, pages it stored are trusted.
          return {
            records: page.records,
            unchanged: page.unchanged,
            unchangedIds: page.unchangedIds,
            watermark: run.until,
            next: page.next ? { url: page.next } : undefined,
          };
        },
      });
    },
  };
}
