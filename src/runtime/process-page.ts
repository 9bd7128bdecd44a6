import { isSluiceError } from '../errors/index.js';
import { SourceResponseError } from '../connector/errors.js';
import type { Credentials, Page, Source } from '../connector/types.js';
import { createConnectorState } from './connector-state.js';
import { observedRead } from './observed.js';
import { createSourceLimiter } from './source-limiter.js';
import type { RunCaps, RuntimeContext } from './context.js';
import { addJobs, batchId, chainPageId, forkChain, jobOptions, sweepId, type JobSpec, type PageJobData } from './jobs.js';
import { publishItemFailures, publishShardResult } from './publish.js';
import { watermarkKey } from './watermark.js';

/** Deleted ids per batch: deletions cost no step, only one sink write. */
const DELETIONS_PER_BATCH = 500;

/**
 * Reads one page of a source, registers its batches, the next page and its forks as pending (one
 * atomic call that also checkpoints the cursor), then enqueues them. A crash between the two steps
 * re-runs this job: the registration is idempotent and job ids are deterministic.
 */
export async function processPage(rt: RuntimeContext, data: PageJobData, signal?: AbortSignal): Promise<void> {
  const pipeline = rt.pipeline(data.pipelineId);
  const source = pipeline.sources[data.sourceIndex];
  if (!source) throw new Error(`pipeline "${pipeline.id}" has no source #${data.sourceIndex}`);
  if ((await rt.runs.status(data)) !== 'running') return;

  const sourceKey = `s${data.sourceIndex}`;
  const page = checkPage(source.connector, await observedRead(rt.metrics, source.connector, () => readPage(rt, data, source, sourceKey, signal)));
  const wmKey = page.watermark === undefined ? undefined : watermarkKey(source.connector, source.watermark, page.watermark);
  // Marked before the page completes, so a listing that reaches 0 open pages has all its marks.
  const fullListing = page.fullListing ?? source.fullListing;
  if (fullListing) await rt.runs.markSeen(data, sourceKey, [...page.records.map((r) => r.id), ...(page.unchangedIds ?? [])]);

  const chain = data.chain ?? sourceKey;
  if (chain !== sourceKey && !chain.startsWith(`${sourceKey}p`)) throw new Error(`page chain "${chain}" is not of source ${sourceKey}`);
  const thisPage = chainPageId(chain, data.pageIndex);
  const nextPage = page.nextCursor ? chainPageId(chain, data.pageIndex + 1) : undefined;
  const forks = page.fork ?? [];
  const slices = batchSlices(page, pipeline.batchSize);

  const failures = page.failures ?? [];
  const result = await rt.runs.completePage(data, {
    pageId: thisPage,
    batchCount: slices.length,
    nextPageId: nextPage,
    forkCursors: forks,
    source: sourceKey,
    nextCursor: page.nextCursor,
    discovered: page.records.length,
    unchanged: page.unchanged ?? 0,
    failures,
    // A source's total comes from its own first page; a fork's first page knows only its share.
    total: data.pageIndex === 0 && chain === sourceKey ? page.total : undefined,
    watermark: page.watermark,
    watermarkKey: wmKey,
    fullListing,
    bytes: recordBytes(page),
  });
  if (result.outcome === 'ignored') return;
  const overCap = capExceeded(rt.runCaps, result.run.counts.discovered, result.bytes);
  if (overCap) {
    // Nothing more of this run is enqueued; its pending shards are dropped with the run.
    const { changed, run } = await rt.runs.fail(data, overCap);
    if (changed) await rt.runEnded?.(run);
    if (changed) await rt.progress.publishRun('run.failed', run);
    return;
  }

  const ref = { runId: data.runId, pipelineId: data.pipelineId, userId: data.userId };
  const queue = rt.queue(pipeline.queue);
  // Priorities follow batch ordinals; the next page and the forks go first, at the priority of this
  // page's first batch, so discovery stays ahead of processing.
  const jobs: JobSpec[] = [];
  // A page read again (its lost batch was re-queued) queues only what is not done yet.
  if (nextPage && !result.alreadyDone.has(nextPage)) {
    jobs.push({
      name: 'page',
      data: { ...ref, sourceIndex: data.sourceIndex, pageIndex: data.pageIndex + 1, cursor: page.nextCursor, ...(chain === sourceKey ? {} : { chain }) },
      opts: jobOptions(pipeline, data.runId, nextPage, result.ordinal),
    });
  }
  forks.forEach((cursor, i) => {
    const forked = forkChain(thisPage, i);
    if (result.alreadyDone.has(chainPageId(forked, 0))) return;
    jobs.push({
      name: 'page',
      data: { ...ref, sourceIndex: data.sourceIndex, pageIndex: 0, cursor, chain: forked },
      opts: jobOptions(pipeline, data.runId, chainPageId(forked, 0), result.ordinal),
    });
  });
  slices.forEach((slice, i) => {
    const id = batchId(thisPage, i);
    if (result.alreadyDone.has(id)) return;
    jobs.push({ name: 'batch', data: { ...ref, batchId: id, ...slice }, opts: jobOptions(pipeline, data.runId, id, result.ordinal + i) });
  });
  if (result.sweep) {
    const id = sweepId(data.sourceIndex);
    jobs.push({ name: 'sweep', data: { ...ref, sourceIndex: data.sourceIndex }, opts: jobOptions(pipeline, data.runId, id, result.ordinal) });
  }
  await addJobs(queue, jobs);
  await publishItemFailures(rt, result.run, failures);
  await publishShardResult(rt, result);
}

/** What the page's records weigh: the JSON length of their data, what a step and the sink get. */
function recordBytes(page: Page<unknown>): number {
  let bytes = 0;
  for (const record of page.records) bytes += JSON.stringify(record.data ?? null)?.length ?? 0;
  return bytes;
}

/** The reason a run is stopped at, naming the cap it passed, or undefined while it is within both. */
export function capExceeded(caps: RunCaps, records: number, bytes: number): string | undefined {
  const n = (value: number) => value.toLocaleString('en-US');
  if (records > caps.maxRecords) return `run stopped: ${n(records)} records read, the cap is ${n(caps.maxRecords)} (runs.maxRecordsPerRun)`;
  if (bytes > caps.maxBytes) return `run stopped: ${n(bytes)} bytes of records read, the cap is ${n(caps.maxBytes)} (runs.maxBytesPerRun)`;
  return undefined;
}

/** The page's records in batches of `batchSize`, then its deleted ids in batches of their own. */
function batchSlices(page: Page<unknown>, batchSize: number): { records: Page<unknown>['records']; deletedIds?: string[] }[] {
  const slices: { records: Page<unknown>['records']; deletedIds?: string[] }[] = [];
  for (let i = 0; i < page.records.length; i += batchSize) slices.push({ records: page.records.slice(i, i + batchSize) });
  const deleted = page.deleted ?? [];
  for (let i = 0; i < deleted.length; i += DELETIONS_PER_BATCH) slices.push({ records: [], deletedIds: deleted.slice(i, i + DELETIONS_PER_BATCH) });
  return slices;
}

/**
 * Reads the page. If the source refuses the credentials (a run-fatal auth error) and they were not
 * refreshed during this read, reads once more with the provider asked for fresh ones (an expired
 * OAuth token); a second refusal fails the run as revoked.
 */
async function readPage(rt: RuntimeContext, data: PageJobData, source: Source<unknown>, sourceKey: string, signal?: AbortSignal): Promise<Page<unknown>> {
  const { since, input, connectionId } = await rt.runs.sourceContext(data, sourceKey);
  const read = (refreshFirst: boolean) => {
    let refreshed = false;
    let forceRefresh = refreshFirst;
    const credentials = async (options?: { refresh?: boolean }): Promise<Credentials> => {
      const refresh = forceRefresh || options?.refresh === true;
      forceRefresh = false;
      if (refresh) refreshed = true;
      return rt.credentials({ userId: data.userId, connector: source.connector, ...(connectionId ? { connectionId } : {}), ...(refresh ? { refresh: true } : {}) });
    };
    const page = source.read(
      {
        userId: data.userId,
        ...(connectionId ? { connectionId } : {}),
        input,
        since,
        credentials,
        state: createConnectorState(rt.redis, rt.keys, source.connector, data.userId),
        limiter: createSourceLimiter(rt.limiter, data.userId),
        ...(signal ? { signal } : {}),
      },
      data.cursor,
    );
    return { page, refreshed: () => refreshed };
  };
  const first = read(false);
  try {
    return await first.page;
  } catch (error) {
    if (!isAuthError(error) || first.refreshed()) throw error;
    return read(true).page;
  }
}

const isAuthError = (error: unknown) => isSluiceError(error) && (error.code === 'source_auth' || error.name === 'SourceAuthError');

/** A connector that returns something other than a page fails the shard with a message naming it. */
function checkPage(connector: string, page: Page<unknown>): Page<unknown> {
  if (!page || !Array.isArray(page.records)) throw new SourceResponseError(`${connector}: read() returned no records array`, connector);
  page.records.forEach((record, i) => {
    if (typeof record?.id !== 'string' || record.id === '') throw new SourceResponseError(`${connector}: record #${i} has no string id`, connector);
    if (typeof record.hash !== 'string') throw new SourceResponseError(`${connector}: record "${record.id}" has no content hash`, connector);
  });
  if (page.nextCursor !== undefined && typeof page.nextCursor !== 'string') {
    throw new SourceResponseError(`${connector}: nextCursor must be a string`, connector);
  }
  for (const field of ['deleted', 'unchangedIds'] as const) {
    const ids = page[field];
    if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === ''))) {
      throw new SourceResponseError(`${connector}: ${field} must be an array of non-empty string ids`, connector);
    }
  }
  if (page.watermark !== undefined && typeof page.watermark !== 'string') throw new SourceResponseError(`${connector}: watermark must be a string`, connector);
  if (page.fork !== undefined && (!Array.isArray(page.fork) || page.fork.some((cursor) => typeof cursor !== 'string'))) {
    throw new SourceResponseError(`${connector}: fork must be an array of cursor strings`, connector);
  }
  return page;
}
