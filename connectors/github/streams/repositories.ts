/** `repositories`: the authenticated user's repos, one provider page per read. */
import { z } from 'zod';
import { cursorCodec, type StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { CONNECTOR } from '../errors.js';
import { toRepository } from '../mappers.js';
import type { GithubRepository } from '../models.js';
import { readUserReposPage, userReposUrl } from '../repos.js';

const AFFILIATION = /^(owner|collaborator|organization_member)(,(owner|collaborator|organization_member))*$/;

const params = z.object({
  /** GitHub's `affiliation` filter; "owner" by default, so a sync does not pull in every org repo. */
  affiliation: z.string().regex(AFFILIATION, 'comma-separated owner, collaborator, organization_member').optional(),
});
export type RepositoriesParams = z.infer<typeof params>;

const cursorOf = cursorCodec(z.object({ url: z.string() }), { connector: CONNECTOR, stream: 'repositories' });

export function repositoriesStream(clientFor: ClientFor): StreamDefinition<GithubRepository, RepositoriesParams> {
  return {
    changeFeed: 'full',
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      const url = cursor ? cursorOf.decode(cursor).url : userReposUrl(api, context.params.affiliation);
      const { repos, next } = await readUserReposPage(api, url);
      return {
        records: repos.map(toRepository),
        ...(next ? { nextCursor: cursorOf.encode({ url: next }) } : {}),
      };
    },
  };
}
