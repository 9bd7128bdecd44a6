import { z } from 'zod';
import { cursorCodec, mapLimit, type ItemFailure, type Page, type ReadContext, type SourceRecord, type StreamDefinition } from 'sluice';
import { contentHash } from 'sluice';
import { comparePaths, createPathFilter, listCandidates } from './list.js';
import { filesParamsSchema, resolveSettings, type FilesConnectorOptions, type FilesParams } from './params.js';
import { readTextFile, type FileRecord } from './read-file.js';
import { resolveRoot } from './root.js';

const READ_CONCURRENCY = 16;

/**
 * Where the next page starts. `after` (the last path handed out) is what counts: the listing is
 * redone on each page call, and resuming after a path rather than at an offset means a file
 * added or deleted between pages neither skips nor repeats another. `offset` is kept for logs.
 */
const cursor = cursorCodec(z.object({ offset: z.number().int().nonnegative(), after: z.string().optional() }), {
  connector: 'files',
  stream: 'files',
});
type FilesCursor = ReturnType<typeof cursor.decode>;

/**
 * The `files` stream: every text file under a directory, one record per file.
 *
 * Each page call lists the tree again and slices it. Trade-off: a listing per page costs a git
 * call or a walk (milliseconds for a few thousand files), whereas caching it in `ctx.state`
 * would put a possibly multi-megabyte value in Redis and need invalidation. Resuming after the
 * last path handed out (see FilesCursor) keeps pages stable when the tree changes between calls.
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
      const root = await resolveRoot(ctx.params.root, ctx.input, options.cwd ?? process.cwd());
      const filter = createPathFilter(settings.include, settings.ignore);
      const paths = await listCandidates(root, filter, settings.useGit, ctx.signal);

      const start = startIndex(paths, at);
      const end = Math.min(start + settings.pageSize, paths.length);
      const pagePaths = paths.slice(start, end);

      const records: SourceRecord<FileRecord>[] = [];
      const failures: ItemFailure[] = [];
      const outcomes = await mapLimit(pagePaths, READ_CONCURRENCY, (path) => {
        ctx.signal?.throwIfAborted();
        return readTextFile(root, path, settings.maxFileBytes);
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
      if (end < paths.length && last !== undefined) page.nextCursor = cursor.encode({ offset: end, after: last });
      return page;
    },
  };
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
