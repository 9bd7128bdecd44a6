import { concernsShard } from '../errors/index.js';
import { withDeadline } from '../util/deadline.js';
import type { LlmRuntime, UsageMeter } from './llm.js';

/** What a step knows about the record it is transforming. */
export interface RecordContext {
  /** Id the document will have in the sink. */
  id: string;
  /** Id of the source record it came from. */
  sourceId: string;
  userId: string;
  runId: string;
}

/** One value on its way through a pipeline. */
export interface StepItem<T> {
  context: RecordContext;
  value: T;
}

export type StepOutcome<O> =
  | { ok: true; items: StepItem<O>[] }
  | { ok: false; reason: string };

/**
 * A transform over a batch of values. It returns one outcome per input, in order, so one bad record
 * fails that record and not the batch. LLM steps implement this to batch and rate-limit their calls.
 */
export interface Step<I, O> {
  readonly name: string;
  /** Bump to reprocess records whose source content did not change. */
  readonly version?: string;
  /** A property, not a method, so the input type is checked contravariantly: a step needing more than the chain gives is an error. */
  readonly run: (items: StepItem<I>[], runtime: StepRuntime) => Promise<StepOutcome<O>[]>;
}

/** What a worker gives a step while it runs one batch. */
export interface StepRuntime {
  pipelineId: string;
  userId: string;
  runId: string;
  /** LLM calls under the shared limiter, with results cached by content. */
  llm: LlmRuntime;
  /** Tokens and cost of this batch's LLM calls, added to the run's counts. */
  usage: UsageMeter;
  /** The batch's priority under round-robin fairness (0 = none); LLM calls wait for budget in this order. */
  priority: number;
  /** Aborted when the run is cancelled: pass it to every call that can hang (LLM calls get it via modelRef). */
  signal?: AbortSignal;
  /** Longest a step may take over a record; past it the record fails ("timed out after N s"). Default 5 min. */
  recordTimeoutMs?: number;
}

export const DEFAULT_RECORD_TIMEOUT_MS = 5 * 60_000;

export function errorReason(error: unknown): string {
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return String(error);
}

/** A step that handles one value at a time; an exception fails only that value. */
export function perItemStep<I, O>(
  name: string,
  transform: (item: StepItem<I>) => Promise<StepItem<O>[]> | StepItem<O>[],
): Step<I, O> {
  return {
    name,
    async run(items, runtime) {
      const timeoutMs = runtime?.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS;
      return Promise.all(
        items.map(async (item): Promise<StepOutcome<O>> => {
          try {
            // A record whose transform never settles fails alone; the rest of the batch goes on.
            return { ok: true, items: await withDeadline(Promise.resolve().then(() => transform(item)), timeoutMs) };
          } catch (error) {
            // A wait or an outage concerns the whole shard: it goes back to the queue, the record does not fail.
            if (concernsShard(error)) throw error;
            return { ok: false, reason: `${name}: ${error instanceof Error && error.name === 'DeadlineError' ? error.message : errorReason(error)}` };
          }
        }),
      );
    },
  };
}
