/**
 * Work inside a page survives a rate limit: items are read a few at a time, and when GitHub says
 * stop, the items finished before the first unfinished one are kept and the page's cursor resumes
 * there, instead of the whole page going back to the queue to be fetched again.
 */
import { SourceRateLimitError } from '../../src/connector/index.js';

export interface Prefix<R> {
  /** Results of items [0, done.length), in order. */
  done: R[];
  /** Set when a rate limit stopped the map before the end. */
  limited?: SourceRateLimitError;
}

export async function mapUntilRateLimit<T, R>(items: readonly T[], inFlight: number, fn: (item: T) => Promise<R>): Promise<Prefix<R>> {
  const results = new Array<R>(items.length);
  const finished = new Array<boolean>(items.length).fill(false);
  let nextIndex = 0;
  let limited: SourceRateLimitError | undefined;
  let failure: { error: unknown } | undefined;
  async function worker(): Promise<void> {
    // After a limit or a failure, start nothing new: only requests already in flight finish.
    while (!limited && !failure && nextIndex < items.length) {
      const index = nextIndex++;
      try {
        results[index] = await fn(items[index] as T);
        finished[index] = true;
      } catch (error) {
        if (error instanceof SourceRateLimitError) limited ??= error;
        else failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, items.length) }, worker));
  if (failure) throw failure.error;
  const firstUnfinished = finished.indexOf(false);
  const done = results.slice(0, firstUnfinished === -1 ? items.length : firstUnfinished);
  return limited ? { done, limited } : { done };
}

/** A rate limit before any item finished: nothing to keep, the page waits whole. */
export function keepOrThrow<R>(prefix: Prefix<R>): Prefix<R> {
  if (prefix.limited && prefix.done.length === 0) throw prefix.limited;
  return prefix;
}
