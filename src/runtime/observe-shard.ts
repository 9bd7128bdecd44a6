import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { RuntimeMetrics, ShardOutcomeLabel } from './metrics.js';
import { inSpan } from './tracing.js';

/** Back in the queue, not failed: delayed (a wait), or handed back to waiting at shutdown. */
const requeued = (error: unknown): boolean => error instanceof DelayedError || error instanceof WaitingError;

type Processor = (job: Job, token: string | undefined, signal: AbortSignal | undefined) => Promise<void>;

/** The ids a log line about a job carries: run, user and shard (the BullMQ job id, `<runId>.<shard>`). */
export function jobLogFields(job: Job): Record<string, string> {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const fields: Record<string, string> = { kind: job.name, shard: String(job.id) };
  for (const name of ['runId', 'userId', 'pipelineId'] as const) if (typeof data[name] === 'string') fields[name] = data[name];
  return fields;
}

/**
 * Wraps a shard processor: one span per attempt, its duration and outcome counted, and a log line
 * with its ids when it did not complete. Three parameters, like the processor it wraps: BullMQ
 * passes its abort signal only to a processor that declares it.
 */
export function observeShards(process: Processor, metrics: RuntimeMetrics, log: Logger): Processor {
  return async (job, token, signal) => {
    const fields = jobLogFields(job);
    const pipeline = fields.pipelineId ?? 'unknown';
    const started = performance.now();
    let outcome: ShardOutcomeLabel = 'completed';
    try {
      await inSpan('sluice.shard', { 'sluice.shard.kind': job.name, 'sluice.pipeline': pipeline, 'sluice.run': fields.runId ?? '', 'sluice.shard.id': String(job.id) }, () => process(job, token, signal), (error) => !requeued(error));
      log.debug(fields, 'shard completed');
    } catch (error) {
      outcome = requeued(error) ? 'delayed' : error instanceof UnrecoverableError ? 'failed' : 'retried';
      const message = error instanceof Error ? error.message : String(error);
      if (outcome === 'delayed') log.debug(fields, 'shard waits');
      else log.warn({ ...fields, attempt: job.attemptsMade + 1, err: message }, outcome === 'failed' ? 'shard failed for good' : 'shard failed; retrying');
      throw error;
    } finally {
      metrics.shardEnded(job.name, pipeline, outcome, (performance.now() - started) / 1000);
    }
  };
}
