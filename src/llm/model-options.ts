import pLimit from 'p-limit';
import { concernsShard } from '../errors/index.js';
import type { StepItem, StepOutcome, StepRuntime } from '../pipeline/step.js';
import { errorReason } from '../pipeline/step.js';

/** Options every LLM step shares. */
export interface ModelOptions<I> {
  /** Default 'openai'. */
  provider?: string;
  model: string;
  /** Budget the calls draw from. Default `<provider>:<model>`. */
  limiterKey?: string;
  /** The text of a record the step works on. */
  text: (value: I) => string;
  /** Calls in flight at once per batch. Default 8. */
  concurrency?: number;
  /** Bump when the prompt or options change: cached answers of other versions are not reused. */
  version?: string;
}

/**
 * Runs `work` over a batch's items with bounded concurrency. A record's error fails that record;
 * a wait, an outage or revoked auth (concernsShard) fails the batch so it goes back to the queue, and the
 * answers already received are in the cache for its next run.
 */
export async function eachItem<I, O>(
  name: string,
  items: StepItem<I>[],
  concurrency: number,
  work: (item: StepItem<I>) => Promise<StepItem<O>[]>,
): Promise<StepOutcome<O>[]> {
  const limit = pLimit(concurrency);
  let interrupt: unknown;
  const outcomes = await Promise.all(
    items.map((item) =>
      limit(async (): Promise<StepOutcome<O>> => {
        if (interrupt) return { ok: false, reason: 'interrupted' };
        try {
          return { ok: true, items: await work(item) };
        } catch (error) {
          if (concernsShard(error)) {
            // Queued items see `interrupt` and return at once (clearQueue would leave their promises pending).
            interrupt ??= error;
            return { ok: false, reason: 'interrupted' };
          }
          return { ok: false, reason: `${name}: ${errorReason(error)}` };
        }
      }),
    ),
  );
  if (interrupt) throw interrupt;
  return outcomes;
}

/** Which model a step's call goes to, and the shard's priority for the limiter's queue. */
export function modelRef(options: Pick<ModelOptions<unknown>, 'provider' | 'model' | 'limiterKey'>, runtime: StepRuntime) {
  return { provider: options.provider ?? 'openai', model: options.model, limiterKey: options.limiterKey, priority: runtime.priority, userId: runtime.userId, ...(runtime.signal ? { signal: runtime.signal } : {}) };
}

