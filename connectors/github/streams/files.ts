/**
 * `files`: text files at the head of each repo's default branch. Per repo: one read lists the
 * tree (recursively), then each read fetches the blobs of `perPage` paths. Binary and oversized
 * files are dropped from the listing by path and size, so they are never fetched.
 */
import { z } from 'zod';
import type { ConnectorState, ItemFailure, SourceRecord, StreamDefinition } from 'sluice';
import type { ClientFor } from '../client.js';
import { isStatus, responseError } from '../errors.js';
import type { GithubApi } from '../http.js';
import { toFile } from '../mappers.js';
import type { GithubFile } from '../models.js';
import { mapLimit, REQUESTS_IN_FLIGHT } from '../pool.js';
import { repoPath, reposParam, walkRepos, type RepoRef } from '../repos.js';
import { parseObject, rawBlob, rawRepo, rawTree } from '../schemas.js';
import { decodeText, hasBinaryExtension } from '../text.js';

const params = z.object({ repos: reposParam });
export type FilesParams = z.infer<typeof params>;

/** Inside a repo: the tree being read (its sha, immutable) and how many of its files are done. */
const position = z.object({ tree: z.string(), offset: z.number().int().nonnegative() });

/** A file worth fetching: [path, blob sha]. */
type Entry = [path: string, sha: string];
const entries = z.array(z.tuple([z.string(), z.string()]));

/** The listing is cached in ConnectorState between pages; if it expired, the tree is read again by sha. */
const LISTING_TTL_S = 24 * 3600;
const listingKey = (repo: RepoRef, treeSha: string) => `tree:${repo.fullName}@${treeSha}`;

export function filesStream(clientFor: ClientFor): StreamDefinition<GithubFile, FilesParams> {
  return {
    changeFeed: 'full',
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      return walkRepos({
        stream: 'files',
        api,
        context,
        cursor,
        position,
        async readRepo(repo, at) {
          if (!at) return listRepo(api, context.state, repo);
          const listing = (await loadListing(context.state, repo, at.tree)) ?? (await readListing(api, context.state, repo, at.tree)).files;
          const end = at.offset + api.options.perPage;
          const failures: ItemFailure[] = [];
          const read = await mapLimit(listing.slice(at.offset, end), REQUESTS_IN_FLIGHT, (entry) =>
            readFile(api, repo, entry).catch((error: unknown) => {
              if (!isStatus(error, 404)) throw error;
              failures.push({ id: `${repo.fullName}:${entry[0]}`, reason: 'blob not found (404)' });
              return undefined;
            }),
          );
          const records = read.filter((record): record is SourceRecord<GithubFile> => record !== undefined);
          return { records, failures, next: end < listing.length ? { tree: at.tree, offset: end } : undefined };
        },
      });
    },
  };
}

/** First read of a repo: list its tree, remember the listing, no records yet. */
async function listRepo(api: GithubApi, state: ConnectorState, repo: RepoRef) {
  const branch = repo.defaultBranch ?? (await readDefaultBranch(api, repo));
  let listing: { sha: string; files: Entry[]; truncated: boolean };
  try {
    listing = await readListing(api, state, repo, branch);
  } catch (error) {
    // 409 "Git Repository is empty": nothing to read, nothing failed.
    if (isStatus(error, 409)) return { records: [] };
    throw error;
  }
  const failures: ItemFailure[] = listing.truncated
    ? [{ id: repo.fullName, reason: 'GitHub truncated the tree (over 100,000 entries or 7 MB): later files were not read' }]
    : [];
  return { records: [], failures, next: listing.files.length ? { tree: listing.sha, offset: 0 } : undefined };
}

async function readDefaultBranch(api: GithubApi, repo: RepoRef): Promise<string> {
  const url = api.url(repoPath(repo));
  return parseObject(rawRepo, (await api.getFresh(url)).data, api.endpoint(url)).default_branch;
}

/** The tree at `ref` (a branch or a tree sha), reduced to the files worth fetching, and cached. */
async function readListing(api: GithubApi, state: ConnectorState, repo: RepoRef, ref: string) {
  const url = api.url(`${repoPath(repo)}/git/trees/${encodeURIComponent(ref)}`, { recursive: 1 });
  const tree = parseObject(rawTree, (await api.getFresh(url)).data, api.endpoint(url));
  const files: Entry[] = tree.tree
    .filter(
      (item) =>
        item.type === 'blob' &&
        item.mode !== '120000' && // symlink: its "content" is the target path
        !hasBinaryExtension(item.path) &&
        (item.size === undefined || item.size <= api.options.maxFileBytes),
    )
    .map((item): Entry => [item.path, item.sha]);
  await state.set(listingKey(repo, tree.sha), JSON.stringify(files), LISTING_TTL_S);
  return { sha: tree.sha, files, truncated: tree.truncated };
}

async function loadListing(state: ConnectorState, repo: RepoRef, treeSha: string): Promise<Entry[] | undefined> {
  const value = await state.get(listingKey(repo, treeSha));
  if (!value) return undefined;
  try {
    const parsed = entries.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** One blob, as a record when it is text within the size limit; undefined (skipped, not failed) otherwise. */
async function readFile(api: GithubApi, repo: RepoRef, [path, sha]: Entry): Promise<SourceRecord<GithubFile> | undefined> {
  const url = api.url(`${repoPath(repo)}/git/blobs/${encodeURIComponent(sha)}`);
  const endpoint = api.endpoint(url);
  const blob = parseObject(rawBlob, (await api.getFresh(url)).data, endpoint);
  if (blob.size > api.options.maxFileBytes) return undefined;
  let bytes: Buffer;
  if (blob.encoding === 'base64') bytes = Buffer.from(blob.content, 'base64');
  else if (blob.encoding === 'utf-8') bytes = Buffer.from(blob.content, 'utf8');
  else throw responseError(endpoint, `returned a blob in an unknown encoding "${blob.encoding}"`);
  const text = decodeText(bytes);
  if (text === undefined) return undefined;
  return toFile({ repo: repo.fullName, path, sha, size: bytes.length, text });
}
