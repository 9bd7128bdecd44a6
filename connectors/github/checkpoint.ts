/**
 * Work inside a page survives a rate limit: items are read a few at a time, and when GitHub says
 * stop, the items finished before the first unfinished one are kept and the page's cursor resumes
 * there, instead of the whole page going back to the queue to be fetched again.
 */
import { SourceRateLimitError, mapLimit } from 'sluice';

export interface Prefix<R> {
  /** Results of items [0, done.length), in order. */
  done: R[];
  /** Set when a rate limit stopped the map before the end. */
  limited?: SourceRateLimitError;
}

/**
 * `mapLimit`, except that a rate limit does not lose the page: it stops new calls (those in flight
 * still finish) and the result is the prefix of items finished before the first unfinished one.
 * Any other failure rejects, as in `mapLimit`.
 */
export async function mapUntilRateLimit<T, R>(items: readonly T[], inFlight: number, fn: (item: T) => Promise<R>): Promise<Prefix<R>> {
  let limited: SourceRateLimitError | undefined;
  const outcomes = await mapLimit(items, inFlight, async (item): Promise<{ value: R } | undefined> => {
    // After a limit, start nothing new: only requests already in flight finish.
    if (limited) return undefined;
    try {
      return { value: await fn(item) };
    } catch (error) {
      if (!(error instanceof SourceRateLimitError)) throw error;
      limited ??= error;
      return undefined;
    }
  });
  const firstUnfinished = outcomes.findIndex((outcome) => outcome === undefined);
  const done = outcomes.slice(0, firstUnfinished === -1 ? items.length : firstUnfinished).map((outcome) => (outcome as { value: R }).value);
  return limited ? { done, limited } : { done };
}

/** A rate limit before any item finished: nothing to keep, the page waits whole. */
export function keepOrThrow<R>(prefix: Prefix<R>): Prefix<R> {
  if (prefix.limited && prefix.done.length === 0) throw prefix.limited;
  return prefix;
}
