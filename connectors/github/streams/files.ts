/**
 * `files`: text files at the head of each repo's default branch. Per repo: one read lists the
 * tree (recursively, conditionally: an unchanged tree answers 304) and splits the files to fetch
 * into slices of `perPage`; each slice is a cursor of its own (the first one next, the others
 * forks), so several workers download one repo's blobs at once. The tree gives every blob's sha, so a file whose sha a completed sync
 * already delivered is never downloaded again (see delivered.ts); it is reported unchanged.
 * Binary and oversized files are dropped from the listing by path and size, so they are never fetched.
 */
import { z } from 'zod';
import { decodeText, type ConnectorState, type ItemFailure, type ReadContext, type SourceRecord, type StreamDefinition } from 'sluice';
import { keepOrThrow, mapUntilRateLimit } from '../checkpoint.js';
import { REQUESTS_IN_FLIGHT, type ClientFor, type GithubApi } from '../client.js';
import { readCached } from '../conditional.js';
import { loadDelivered, recordDelivered, startSlices, trusted, type Delivered } from '../delivered.js';
import { isStatus, responseError } from '../errors.js';
import { recordId, toFile } from '../mappers.js';
import type { GithubFile } from '../models.js';
import { repoPath, reposParam, walkRepos, type RepoRef, type RepoStep } from '../repos.js';
import { parseObject, rawBlob, rawRepo, rawTree } from '../schemas.js';

const params = z.object({ repos: reposParam });
export type FilesParams = z.infer<typeof params>;

/**
 * Inside a repo: the tree being read (its sha, immutable) and a slice [offset, end) of its files to
 * fetch; offset moves on when a rate limit cuts a read short.
 */
const position = z.object({ tree: z.string(), offset: z.number().int().nonnegative(), end: z.number().int().nonnegative() });
type Position = z.infer<typeof position>;

/** A file worth fetching: [path, blob sha]. */
type Entry = [path: string, sha: string];
const entries = z.array(z.tuple([z.string(), z.string()]));

/** The listing is cached by tree sha: between pages, and for the next sync's 304 on the tree. */
const LISTING_TTL_S = 7 * 24 * 3600;
const listingKey = (repo: RepoRef, treeSha: string) => `tree:${repo.fullName}@${treeSha}`;

type Context = ReadContext<FilesParams>;

export function filesStream(clientFor: ClientFor): StreamDefinition<GithubFile, FilesParams> {
  return {
    changeFeed: 'full',
    // Every run lists each repository's whole tree (unchanged blobs as `unchangedIds`): files gone from it are deleted.
    fullListing: true,
    params,
    async read(context, cursor) {
      const api = await clientFor(context);
      return walkRepos({
        stream: 'files',
        api,
        context,
        cursor,
        position,
        readRepo: (repo, at, run) => (at ? readFiles(api, context, repo, at, run.until) : listRepo(api, context, repo, run.until)),
      });
    },
  };
}

/** The files of the listing that no completed sync delivered at their current sha. */
function toFetch(listing: Entry[], delivered: Delivered, since: string | undefined): Entry[] {
  return listing.filter(([path, sha]) => !trusted(delivered, path, sha, since));
}

/** First read of a repo: list its tree, count what is unchanged, no records yet. */
async function listRepo(api: GithubApi, context: Context, repo: RepoRef, until: string): Promise<RepoStep<GithubFile, Position>> {
  const { state } = context;
  let listing: { sha: string; files: Entry[]; truncated: boolean };
  try {
    const branch = repo.defaultBranch ?? (await readDefaultBranch(api, state, repo));
    listing = await readBranchListing(api, state, repo, branch);
  } catch (error) {
    // 409 "Git Repository is empty": nothing to read, nothing failed.
    if (isStatus(error, 409)) return { records: [] };
    throw error;
  }
  const delivered = await loadDelivered(state, repo.fullName);
  const paths = new Set(listing.files.map(([path]) => path));
  const unchangedIds = listing.files
    .filter(([path, sha]) => trusted(delivered, path, sha, context.since)?.[2] === 1)
    .map(([path]) => recordId.file(repo.fullName, path));
  const failures: ItemFailure[] = listing.truncated
    ? [{ id: repo.fullName, reason: 'GitHub truncated the tree (over 100,000 entries or 7 MB): later files were not read' }]
    : [];
  const pending = toFetch(listing.files, delivered, context.since).length;
  const slices: Position[] = [];
  for (let offset = 0; offset < pending; offset += api.options.perPage) {
    slices.push({ tree: listing.sha, offset, end: Math.min(pending, offset + api.options.perPage) });
  }
  await startSlices(state, repo.fullName, delivered, paths, until, slices.map(sliceOf));
  const [next, ...fork] = slices;
  return { records: [], failures, unchanged: unchangedIds.length, unchangedIds, watermark: until, next, fork };
}

/** A slice's id: its end, as slices of one listing do not overlap. */
const sliceOf = (at: Position) => at.end;

type Outcome = { entry: Entry; record?: SourceRecord<GithubFile>; missing?: true };

/** A slice of the files to fetch; a rate limit keeps the files read before it. */
async function readFiles(api: GithubApi, context: Context, repo: RepoRef, at: Position, until: string): Promise<RepoStep<GithubFile, Position>> {
  const { state } = context;
  const listing = (await loadListing(state, repo, at.tree)) ?? (await readTreeListing(api, state, repo, at.tree)).files;
  // Files delivered by this run are stamped after `since`, so they stay in the list and offsets hold.
  const todo = toFetch(listing, await loadDelivered(state, repo.fullName), context.since);
  const slice = todo.slice(at.offset, Math.min(at.end, at.offset + api.options.perPage));
  const { done } = keepOrThrow(
    await mapUntilRateLimit(slice, REQUESTS_IN_FLIGHT, async (entry): Promise<Outcome> => {
      try {
        return { entry, record: await readFile(api, repo, entry) };
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
        return { entry, missing: true };
      }
    }),
  );
  const records = done.flatMap((outcome) => (outcome.record ? [outcome.record] : []));
  const failures = done
    .filter((outcome) => outcome.missing)
    .map(({ entry }): ItemFailure => ({ id: recordId.file(repo.fullName, entry[0]), reason: 'blob not found (404)' }));
  await recordDelivered(
    state,
    repo.fullName,
    { stamp: until, slice: sliceOf(at) },
    done.filter((outcome) => !outcome.missing).map(({ entry, record }) => ({ path: entry[0], sha: entry[1], text: record !== undefined })),
  );
  const end = at.offset + done.length;
  return { records, failures, watermark: until, next: end < Math.min(at.end, todo.length) ? { ...at, offset: end } : undefined };
}

async function readDefaultBranch(api: GithubApi, state: ConnectorState, repo: RepoRef): Promise<string> {
  const url = api.url(repoPath(repo));
  return readCached(
    api,
    state,
    url,
    async (data) => parseObject(rawRepo, data, api.endpoint(url)).default_branch,
    (value): value is string => typeof value === 'string',
  );
}

interface TreeRef {
  sha: string;
  truncated: boolean;
}
const treeRef = z.object({ sha: z.string(), truncated: z.boolean() });

/** The branch's tree, conditionally: a 304 reuses the listing cached under the tree's sha. */
async function readBranchListing(api: GithubApi, state: ConnectorState, repo: RepoRef, branch: string) {
  const url = treeUrl(api, repo, branch);
  const ref = await readCached(
    api,
    state,
    url,
    async (data): Promise<TreeRef> => {
      const { sha, truncated } = await storeListing(api, state, repo, parseObject(rawTree, data, api.endpoint(url)));
      return { sha, truncated };
    },
    (value): value is TreeRef => treeRef.safeParse(value).success,
  );
  const files = await loadListing(state, repo, ref.sha);
  return files ? { ...ref, files } : readTreeListing(api, state, repo, ref.sha);
}

/** The tree with this sha, read unconditionally. */
async function readTreeListing(api: GithubApi, state: ConnectorState, repo: RepoRef, treeSha: string) {
  const url = treeUrl(api, repo, treeSha);
  return storeListing(api, state, repo, parseObject(rawTree, (await api.getFresh(url)).data, api.endpoint(url)));
}

function treeUrl(api: GithubApi, repo: RepoRef, ref: string): string {
  return api.url(`${repoPath(repo)}/git/trees/${encodeURIComponent(ref)}`, { recursive: 1 });
}

/** The tree reduced to the files worth fetching, cached under its sha. */
async function storeListing(api: GithubApi, state: ConnectorState, repo: RepoRef, tree: z.infer<typeof rawTree>) {
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
  // What was received counts, not the size the answer claims.
  if (bytes.length > api.options.maxFileBytes) return undefined;
  const text = decodeText(bytes);
  if (text === undefined) return undefined;
  return toFile({ repo: repo.fullName, path, sha, size: bytes.length, text });
}

/** Extensions that are binary often enough that fetching them is a waste: checked on the path, before any fetch. */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico icns webp tif tiff psd ai sketch fig heic avif ' +
    'pdf doc docx xls xlsx ppt pptx odt ods odp key numbers pages ' +
    'zip gz tgz bz2 xz zst 7z rar tar jar war ear whl egg nupkg apk ipa dmg iso ' +
    'exe dll so dylib o a lib obj class pyc pyo wasm bin dat db sqlite sqlite3 ' +
    'mp3 mp4 m4a m4v mov avi mkv webm wav flac ogg aac wma ' +
    'woff woff2 ttf otf eot ' +
    'pt pth onnx h5 pb tflite safetensors ckpt npy npz parquet avro orc pkl'
  ).split(' '),
);

export function hasBinaryExtension(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && BINARY_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}
