/**
 * `pulls`: pull requests of each repo. The pulls endpoint has no `since`, so pages are read
 * newest update first and the walk stops at the first page reaching back past `since`.
 */
import { z } from 'zod';
import type { StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { readConditionalPage } from '../conditional.js';
import { toPull } from '../mappers.js';
import type { GithubPull } from '../models.js';
import { earliest, latest, repoPath, reposParam, walkRepos } from '../repos.js';
import { parseList, rawPull } from '../schemas.js';

const params = z.object({ repos: reposParam });
export type PullsParams = z.infer<typeof params>;

const position = z.object({ url: z.string() });

export function pullsStream(clientFor: ClientFor): StreamDefinition<GithubPull, PullsParams> {
  return {
    changeFeed: 'since',
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      const since = context.since ? Date.parse(context.since) : undefined;
      return walkRepos({
        stream: 'pulls',
        api,
        context,
        cursor,
        position,
        async readRepo(repo, at) {
          const url =
            at?.url ??
            api.url(`${repoPath(repo)}/pulls`, { state: 'all', sort: 'updated', direction: 'desc', per_page: api.options.perPage });
          const page = await readConditionalPage(api, context.state, url, async (data) => {
            const pulls = parseList(rawPull, data, api.endpoint(url));
            const fresh = since === undefined ? pulls : pulls.filter((pull) => Date.parse(pull.updated_at) >= since);
            const records = fresh.map((pull) => toPull(repo.fullName, pull));
            return {
              records,
              failures: [],
              watermark: latest(records.map((record) => record.data.updatedAt)),
              oldest: earliest(pulls.map((pull) => pull.updated_at)),
            };
          });
          // Decided on every read, 304 included: the stored page keeps its oldest update, not a verdict.
          const reachedSince = since !== undefined && page.oldest !== undefined && Date.parse(page.oldest) < since;
          return {
            records: page.records,
            unchanged: page.unchanged,
            watermark: page.watermark,
            next: page.next && !reachedSince ? { url: page.next } : undefined,
          };
        },
      });
    },
  };
}
