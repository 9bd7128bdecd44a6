import type { RuntimeContext } from './context.js';
import { sweepId, type SweepJobData } from './jobs.js';
import { publishShardResult } from './publish.js';

/** Deletions per sink write: each is one atomic call, so a huge sweep does not block Redis. */
const DELETIONS_PER_WRITE = 500;

/**
 * The sweep of a source's full listing that finished clean: deletes from the sink every record the
 * last listing held and this one did not see, then makes this listing the source's members. Run
 * again after a crash it deletes what is left: the sink deletes idempotently, and the sweep counts
 * once (a done set).
 */
export async function processSweep(rt: RuntimeContext, data: SweepJobData): Promise<void> {
  const pipeline = rt.pipeline(data.pipelineId);
  const source = `s${data.sourceIndex}`;
  if ((await rt.runs.status(data)) !== 'running' || (await rt.runs.isDone(data, sweepId(data.sourceIndex)))) return;
  const unseen = await rt.runs.unseenMembers(data, source);
  const writer = pipeline.sink.open(rt.sinks.scope(data.pipelineId, data.userId));
  let deleted = 0;
  for (let i = 0; i < unseen.length; i += DELETIONS_PER_WRITE) {
    const result = await writer.write(unseen.slice(i, i + DELETIONS_PER_WRITE).map((sourceId) => ({ sourceId, deleted: true as const })));
    deleted += result.deleted;
  }
  const result = await rt.runs.completeSweep(data, source, sweepId(data.sourceIndex), deleted);
  await publishShardResult(rt, result);
}
