import { contentHash, type ItemFailure, type Page, type ReadContext, type SourceRecord, type StreamDefinition } from 'sluice';
import { decodeCursor, encodeCursor, startIndex } from './cursor.js';
import { createPathFilter } from './globs.js';
import { listCandidates } from './list.js';
import { mapLimit } from './map-limit.js';
import { filesParamsSchema, resolveSettings, type FilesParams } from './params.js';
import { readTextFile } from './read-file.js';
import { resolveRoot } from './root.js';
import type { FileRecord, FilesConnectorOptions } from './types.js';

const READ_CONCURRENCY = 16;

/**
 * The `files` stream: every text file under a directory, one record per file.
 *
 * Each page call lists the tree again and slices it. Trade-off: a listing per page costs a git
 * call or a walk (milliseconds for a few thousand files), whereas caching it in `ctx.state`
 * would put a possibly multi-megabyte value in Redis and need invalidation. Resuming after the
 * last path handed out (see cursor.ts) keeps pages stable when the tree changes between calls.
 */
export function filesStream(options: FilesConnectorOptions): StreamDefinition<FileRecord, FilesParams> {
  return {
    changeFeed: 'full',
    params: filesParamsSchema,
    async read(ctx: ReadContext<FilesParams>, rawCursor: string | undefined): Promise<Page<FileRecord>> {
      const settings = resolveSettings(ctx.params, options);
      const cursor = decodeCursor(rawCursor);
      const root = await resolveRoot(ctx.params.root, ctx.input, options.cwd ?? process.cwd());
      const filter = createPathFilter(settings.include, settings.ignore);
      const paths = await listCandidates(root, filter, settings.useGit, ctx.signal);

      const start = startIndex(paths, cursor);
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
      if (end < paths.length && last !== undefined) page.nextCursor = encodeCursor({ offset: end, after: last });
      return page;
    },
  };
}
