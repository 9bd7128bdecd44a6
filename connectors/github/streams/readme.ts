/** `readme`: the README of each repo, one record per repo; a repo without one yields nothing. */
import { z } from 'zod';
import { decodeText, type StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { isStatus } from '../errors.js';
import { toReadme } from '../mappers.js';
import type { GithubReadme } from '../models.js';
import { repoPath, reposParam, walkRepos } from '../repos.js';
import { parseObject, rawContent } from '../schemas.js';

const params = z.object({ repos: reposParam });
export type ReadmeParams = z.infer<typeof params>;

export function readmeStream(clientFor: ClientFor): StreamDefinition<GithubReadme, ReadmeParams> {
  return {
    changeFeed: 'full',
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      return walkRepos({
        stream: 'readme',
        api,
        context,
        cursor,
        position: z.never(),
        async readRepo(repo) {
          const url = api.url(`${repoPath(repo)}/readme`);
          let data: unknown;
          try {
            data = (await api.getFresh(url)).data;
          } catch (error) {
            // No README. (A missing repo answers 404 too; the other streams report that one.)
            if (isStatus(error, 404)) return { records: [] };
            throw error;
          }
          // The JSON form (base64 content) rather than the raw one: it carries path and sha, and its shape can be checked.
          const content = parseObject(rawContent, data, api.endpoint(url));
          // Above 1 MB GitHub sends no content ("none"); above maxFileBytes we skip, as for files.
          if (content.encoding !== 'base64' || content.size > api.options.maxFileBytes) return { records: [] };
          // What was received counts, not the size the answer claims.
          const bytes = Buffer.from(content.content, 'base64');
          if (bytes.length > api.options.maxFileBytes) return { records: [] };
          const text = decodeText(bytes);
          if (text === undefined) return { records: [] };
          return {
            records: [toReadme({ repo: repo.fullName, path: content.path, sha: content.sha, text, htmlUrl: content.html_url })],
          };
        },
      });
    },
  };
}
