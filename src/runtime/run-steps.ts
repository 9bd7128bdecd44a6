import type { ItemFailure, SourceRecord } from '../connector/types.js';
import type { Step, StepItem, StepRuntime } from '../pipeline/step.js';

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
): Promise<StepsResult> {
  let items: StepItem<unknown>[] = records.map((r) => ({
    context: { id: r.id, sourceId: r.id, userId: runtime.userId, runId: runtime.runId },
    value: r.data,
  }));
  const failed = new Map<string, string>();
  for (const step of steps) {
    if (items.length === 0) break;
    const outcomes = await step.run(items, runtime);
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
