import type { Job } from 'bullmq';
import type { RuntimeContext } from './context.js';
import type { BatchJobData } from './jobs.js';
import { publishItemFailures, publishShardResult } from './publish.js';
import { runSteps } from './run-steps.js';
import { LLM_CALL_IN_FLIGHT, UsageMeter, type SlowCall } from '../pipeline/llm.js';
import type { RunSnapshot } from '../progress/events.js';

/**
 * Runs the steps over one batch and upserts the results. Records whose content hash (with the
 * pipeline version) is already in the sink are skipped before any step runs: re-syncs pay only
 * for what changed.
 */
/** `priority` is the job's: LLM calls of this batch wait for budget in that order. */
export async function processBatch(rt: RuntimeContext, data: BatchJobData, priority: number, signal?: AbortSignal): Promise<void> {
  const pipeline = rt.pipeline(data.pipelineId);
  const run = rt.keys.run(data.pipelineId, data.userId, data.runId);
  const [status, done] = await rt.redis.pipeline().hget(run.state, 'status').sismember(run.done, data.batchId).exec() ?? [];
  if (status?.[1] !== 'running' || done?.[1] === 1) return;

  const writer = pipeline.sink.open(rt.sinks.scope(data.pipelineId, data.userId));
  const hashOf = (hash: string) => `${hash}.${pipeline.version}`;
  const changed = await writer.changed(data.records.map((r) => ({ sourceId: r.id, hash: hashOf(r.hash) })));
  const todo = data.records.filter((r) => changed.has(r.id));

  // Usage is published as each call is paid, not with the batch: a re-queued attempt's calls count too.
  // A paid call ends a wait on its key at once; a call still in flight after a few seconds shows as one.
  const usage = new UsageMeter(
    async (delta, answeredBy) => {
      const cleared = await rt.runs.addUsage(data, delta, answeredBy, LLM_CALL_IN_FLIGHT);
      if (cleared) rt.progress.report(cleared);
    },
    slowCallsShown(rt, data),
  );
  const runtime = { pipelineId: data.pipelineId, userId: data.userId, runId: data.runId, llm: rt.llm, usage, priority, recordTimeoutMs: pipeline.recordTimeoutMs, ...(signal ? { signal } : {}) };
  const { documents, failures } = await runSteps(pipeline.chain.steps, todo, runtime, (step, seconds) => rt.metrics.stepTimed(data.pipelineId, step, seconds));
  const entries = todo
    .filter((r) => documents.has(r.id))
    .map((r) => ({
      sourceId: r.id,
      hash: hashOf(r.hash),
      documents: documents.get(r.id)!.map((item) => ({ id: item.context.id, value: item.value })),
    }));
  const deletions = (data.deletedIds ?? []).map((sourceId) => ({ sourceId, deleted: true as const }));
  // A cancelled run writes nothing more: the steps' results of an aborted batch are dropped whole.
  signal?.throwIfAborted();
  const { written, deleted } = await writer.write([...entries, ...deletions]);
  await usage.flushed();

  const result = await rt.runs.completeBatch(data, {
    batchId: data.batchId,
    processed: entries.length,
    skipped: data.records.length - todo.length,
    failed: failures.length,
    written,
    failures,
    deleted,
  });
  if (result.outcome === 'ignored') return;
  rt.metrics.records(data.pipelineId, { processed: entries.length, skipped: data.records.length - todo.length, failed: failures.length, written, deleted });
  await publishItemFailures(rt, result.run, failures);
  await publishShardResult(rt, result);
}

/** A batch out of attempts: its records count as failed so the run can still finish. */
export async function abandonBatch(rt: RuntimeContext, job: Job<BatchJobData>, reason: string): Promise<void> {
  const data = job.data;
  const failures = data.records.map((r) => ({ id: r.id, reason }));
  const result = await rt.runs.completeBatch(data, { batchId: data.batchId, processed: 0, skipped: 0, failed: failures.length, written: 0, failures });
  if (result.outcome === 'ignored') return;
  rt.metrics.records(data.pipelineId, { processed: 0, skipped: 0, failed: failures.length, written: 0, deleted: 0 });
  await publishItemFailures(rt, result.run, failures);
  await publishShardResult(rt, result);
}

/**
 * Shows a batch's LLM calls in flight for more than a few seconds as the run's wait
 * (`llm call in flight 7 s`), and clears it when the last of them ends (after its showing is written).
 */
function slowCallsShown(rt: RuntimeContext, data: BatchJobData) {
  const report = (run: RunSnapshot | undefined) => run && rt.progress.report(run);
  const inFlight = new Map<string, { count: number; shown: Promise<unknown> }>();
  return {
    shown(call: SlowCall) {
      const entry = inFlight.get(call.on) ?? { count: 0, shown: Promise.resolve() };
      entry.count += 1;
      if (entry.count === 1) {
        entry.shown = rt.runs.setWaiting(data, { on: call.on, reason: LLM_CALL_IN_FLIGHT, untilMs: call.deadline, sinceMs: call.since }).then(report).catch(() => undefined);
      }
      inFlight.set(call.on, entry);
    },
    ended(call: SlowCall) {
      const entry = inFlight.get(call.on);
      if (!entry || --entry.count > 0) return;
      inFlight.delete(call.on);
      // A wait on the key ends: the same as a paid answer with no usage.
      void entry.shown.then(() => rt.runs.addUsage(data, NO_USAGE, call.on)).then(report).catch(() => undefined);
    },
  };
}

const NO_USAGE = { promptTokens: 0, completionTokens: 0, costMicros: 0, calls: 0, cachedCalls: 0 };
