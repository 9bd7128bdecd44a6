import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { cursorCodec, mapLimit, type ItemFailure, type Page, type ReadContext, type SourceRecord, type StreamDefinition } from 'sluice';
import { contentHash } from 'sluice';
import { comparePaths, createPathFilter, listCandidates } from './list.js';
import { filesParamsSchema, resolveSettings, type FilesConnectorOptions, type FilesParams } from './params.js';
import { readTextFile, type FileRecord } from './read-file.js';
import { resolveRoot } from './root.js';

const READ_CONCURRENCY = 16;

/**
 * Where the next page starts. `after` (the last path handed out) is what counts: resuming after a
 * path rather than at an offset means a listing redone between pages (the cached one expired)
 * neither skips nor repeats a file. `listing` names the run's cached listing. `offset` is kept for logs.
 */
const cursor = cursorCodec(z.object({ offset: z.number().int().nonnegative(), after: z.string().optional(), listing: z.string().regex(/^[a-f0-9]{16,64}$/).optional() }), {
  connector: 'files',
  stream: 'files',
});
type FilesCursor = ReturnType<typeof cursor.decode>;

/** How long a run's listing is kept for its later pages; a run slower than that lists again. */
const LISTING_TTL_SECONDS = 6 * 3600;

/**
 * The `files` stream: every text file under a directory, one record per file.
 *
 * The first page lists the tree once and keeps the listing in the connector state under an id the
 * cursor carries, so the later pages of the run slice it instead of listing the tree again (a big
 * tree listed per page cost a core and Redis grew with every page). When the kept listing is gone,
 * the page lists again; resuming after the last path handed out keeps pages stable.
 */
export function filesStream(options: FilesConnectorOptions): StreamDefinition<FileRecord, FilesParams> {
  return {
    changeFeed: 'full',
    // Every run lists the whole root: files it no longer finds are deleted (mark and sweep).
    fullListing: true,
    params: filesParamsSchema,
    async read(ctx: ReadContext<FilesParams>, rawCursor: string | undefined): Promise<Page<FileRecord>> {
      const settings = resolveSettings(ctx.params, options);
      const at: FilesCursor = rawCursor === undefined ? { offset: 0 } : cursor.decode(rawCursor);
      const root = await resolveRoot(ctx.params.root, ctx.params.allowInputRoot, ctx.input, options.cwd ?? process.cwd());
      const listingId = at.listing ?? randomBytes(12).toString('hex');
      const paths =
        (at.listing !== undefined ? await keptListing(ctx, at.listing, root) : undefined) ??
        (await listCandidates(root, createPathFilter(settings.include, settings.ignore), settings.useGit, ctx.signal));

      const start = startIndex(paths, at);
      const end = Math.min(start + settings.pageSize, paths.length);
      const pagePaths = paths.slice(start, end);

      const records: SourceRecord<FileRecord>[] = [];
      const failures: ItemFailure[] = [];
      const outcomes = await mapLimit(pagePaths, READ_CONCURRENCY, (path) => {
        ctx.signal?.throwIfAborted();
        return readTextFile(root, path, settings.maxFileBytes, settings.readTimeoutMs);
      });
      outcomes.forEach((outcome, index) => {
        const path = pagePaths[index] as string;
        if (outcome.kind === 'record') {
          records.push({ id: path, hash: contentHash({ path, text: outcome.record.text }), data: outcome.record });
        } else if (outcome.kind === 'failure') {
          failures.push({ id: path, reason: outcome.reason });
        }
      });

      const page: Page<FileRecord> = { records, total: paths.length };
      if (failures.length > 0) page.failures = failures;
      const last = pagePaths[pagePaths.length - 1];
      if (end < paths.length && last !== undefined) {
        if (at.listing === undefined) {
          await ctx.state.set(listingKey(listingId), JSON.stringify({ root, paths }), LISTING_TTL_SECONDS);
        }
        page.nextCursor = cursor.encode({ offset: end, after: last, listing: listingId });
      }
      return page;
    },
  };
}

function listingKey(id: string): string {
  return `listing:${id}`;
}

/** The run's listing kept by its first page, when it is still there and lists the same root. */
async function keptListing(ctx: ReadContext<FilesParams>, id: string, root: string): Promise<string[] | undefined> {
  const raw = await ctx.state.get(listingKey(id));
  if (raw === undefined) return undefined;
  try {
    const kept = JSON.parse(raw) as { root?: unknown; paths?: unknown };
    if (kept.root !== root || !Array.isArray(kept.paths)) return undefined;
    return kept.paths.filter((path): path is string => typeof path === 'string');
  } catch {
    return undefined;
  }
}

/** Index of the first path of the page in the sorted listing `paths`. */
function startIndex(paths: readonly string[], at: FilesCursor): number {
  if (at.after === undefined) return Math.min(at.offset, paths.length);
  const after = at.after;
  // Binary search for the first path sorting strictly after `after`.
  let low = 0;
  let high = paths.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (comparePaths(paths[middle] as string, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}
