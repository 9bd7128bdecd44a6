import { SourceResponseError } from '../connector/errors.js';
import type { Page } from '../connector/types.js';
import { createConnectorState } from './connector-state.js';
import { createSourceLimiter } from './source-limiter.js';
import type { RuntimeContext } from './context.js';
import { addJobs, batchId, chainPageId, forkChain, jobOptions, type JobSpec, type PageJobData } from './jobs.js';
import { publishItemFailures, publishShardResult } from './publish.js';

/**
 * Reads one page of a source, registers its batches, the next page and its forks as pending (one
 * atomic call that also checkpoints the cursor), then enqueues them. A crash between the two steps
 * re-runs this job: the registration is idempotent and job ids are deterministic.
 */
export async function processPage(rt: RuntimeContext, data: PageJobData): Promise<void> {
  const pipeline = rt.pipeline(data.pipelineId);
  const source = pipeline.sources[data.sourceIndex];
  if (!source) throw new Error(`pipeline "${pipeline.id}" has no source #${data.sourceIndex}`);
  if ((await rt.runs.status(data)) !== 'running') return;

  const sourceKey = `s${data.sourceIndex}`;
  const { since, input } = await rt.runs.sourceContext(data, sourceKey);
  const page = checkPage(
    source.connector,
    await source.read(
      {
        userId: data.userId,
        input,
        since,
        credentials: async (options) => rt.credentials({ userId: data.userId, connector: source.connector, ...(options?.refresh ? { refresh: true } : {}) }),
        state: createConnectorState(rt.redis, rt.keys, source.connector, data.userId),
        limiter: createSourceLimiter(rt.limiter, data.userId),
      },
      data.cursor,
    ),
  );

  const chain = data.chain ?? sourceKey;
  if (chain !== sourceKey && !chain.startsWith(`${sourceKey}p`)) throw new Error(`page chain "${chain}" is not of source ${sourceKey}`);
  const thisPage = chainPageId(chain, data.pageIndex);
  const nextPage = page.nextCursor ? chainPageId(chain, data.pageIndex + 1) : undefined;
  const forks = page.fork ?? [];
  const slices: Page<unknown>['records'][] = [];
  for (let i = 0; i < page.records.length; i += pipeline.batchSize) slices.push(page.records.slice(i, i + pipeline.batchSize));

  const failures = page.failures ?? [];
  const result = await rt.runs.completePage(data, {
    pageId: thisPage,
    batchCount: slices.length,
    nextPageId: nextPage,
    forkCount: forks.length,
    source: sourceKey,
    nextCursor: page.nextCursor,
    discovered: page.records.length,
    unchanged: page.unchanged ?? 0,
    failures,
    // A source's total comes from its own first page; a fork's first page knows only its share.
    total: data.pageIndex === 0 && chain === sourceKey ? page.total : undefined,
    watermark: page.watermark,
  });
  if (result.outcome === 'ignored') return;

  const ref = { runId: data.runId, pipelineId: data.pipelineId, userId: data.userId };
  const queue = rt.queue(pipeline.queue);
  // Priorities follow batch ordinals; the next page and the forks go first, at the priority of this
  // page's first batch, so discovery stays ahead of processing.
  const jobs: JobSpec[] = [];
  if (nextPage) {
    jobs.push({
      name: 'page',
      data: { ...ref, sourceIndex: data.sourceIndex, pageIndex: data.pageIndex + 1, cursor: page.nextCursor, ...(chain === sourceKey ? {} : { chain }) },
      opts: jobOptions(pipeline, data.runId, nextPage, result.ordinal),
    });
  }
  forks.forEach((cursor, i) => {
    const forked = forkChain(thisPage, i);
    jobs.push({
      name: 'page',
      data: { ...ref, sourceIndex: data.sourceIndex, pageIndex: 0, cursor, chain: forked },
      opts: jobOptions(pipeline, data.runId, chainPageId(forked, 0), result.ordinal),
    });
  });
  slices.forEach((records, i) => {
    const id = batchId(thisPage, i);
    jobs.push({ name: 'batch', data: { ...ref, batchId: id, records }, opts: jobOptions(pipeline, data.runId, id, result.ordinal + i) });
  });
  await addJobs(queue, jobs);
  await publishItemFailures(rt, result.run, failures);
  await publishShardResult(rt, result);
}

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
  if (page.fork !== undefined && (!Array.isArray(page.fork) || page.fork.some((cursor) => typeof cursor !== 'string'))) {
    throw new SourceResponseError(`${connector}: fork must be an array of cursor strings`, connector);
  }
  return page;
}
