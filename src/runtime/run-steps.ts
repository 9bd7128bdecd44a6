import type { ItemFailure, SourceRecord } from '../connector/types.js';
import { DEFAULT_RECORD_TIMEOUT_MS, type Step, type StepItem, type StepOutcome, type StepRuntime } from '../pipeline/step.js';
import { DeadlineError, withDeadline } from '../util/deadline.js';

export interface StepsResult {
  /** Final values per source record id, in order; a record filtered out has an empty list. */
  documents: Map<string, StepItem<unknown>[]>;
  failures: ItemFailure[];
}

/**
 * Runs a batch through the steps. A record that fails any step (or any of its fanned-out values
 * does) is dropped whole and reported, so the sink never holds half of a record.
 */
export async function runSteps(
  steps: readonly Step<unknown, unknown>[],
  records: readonly SourceRecord<unknown>[],
  runtime: StepRuntime,
  /** Told how long each step took over the batch. */
  onStep: (step: string, seconds: number) => void = () => {},
): Promise<StepsResult> {
  let items: StepItem<unknown>[] = records.map((r) => ({
    context: { id: r.id, sourceId: r.id, userId: runtime.userId, runId: runtime.runId },
    value: r.data,
  }));
  const failed = new Map<string, string>();
  for (const step of steps) {
    if (items.length === 0) break;
    const started = performance.now();
    const outcomes = await runStep(step, items, runtime);
    onStep(step.name, (performance.now() - started) / 1000);
    if (outcomes.length !== items.length) {
      throw new Error(`step "${step.name}" returned ${outcomes.length} outcomes for ${items.length} inputs`);
    }
    const next: StepItem<unknown>[] = [];
    outcomes.forEach((outcome, i) => {
      const sourceId = items[i]!.context.sourceId;
      if (outcome.ok) next.push(...outcome.items);
      else if (!failed.has(sourceId)) failed.set(sourceId, outcome.reason);
    });
    items = next.filter((item) => !failed.has(item.context.sourceId));
  }
  const documents = new Map<string, StepItem<unknown>[]>();
  for (const record of records) if (!failed.has(record.id)) documents.set(record.id, []);
  for (const item of items) documents.get(item.context.sourceId)?.push(item);
  return { documents, failures: [...failed].map(([id, reason]) => ({ id, reason })) };
}

/**
 * A step over a batch, bounded: a step that handles records together (an LLM call for many) and
 * never settles fails those records past the per-record deadline, and the batch moves on.
 */
async function runStep(step: Step<unknown, unknown>, items: StepItem<unknown>[], runtime: StepRuntime): Promise<StepOutcome<unknown>[]> {
  try {
    // A grace second past the records' own deadline: a per-record step fails just the hung ones first.
    return await withDeadline(step.run(items, runtime), (runtime.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS) + 1000);
  } catch (error) {
    if (!(error instanceof DeadlineError)) throw error;
    return items.map(() => ({ ok: false, reason: `${step.name}: ${error.message}` }));
  }
}
