/**
 * Fetches a page's messages in parallel and keeps what finished when Gmail or the shared limiter
 * says to wait (any retry-later error): the ids not fetched yet go back in the cursor, so the page's done work is not
 * fetched and charged again. Any other failure fails the read, as the runtime retries it whole.
 */
import { isSluiceError, type SluiceError } from 'sluice';

export interface FetchOutcome<R> {
  results: R[];
  /** Ids not fetched because of a rate limit, in their original order. */
  left: string[];
  /** The wait that stopped the page: thrown when nothing was fetched, so the shard is re-queued. */
  rateLimit?: SluiceError;
}

export async function fetchAll<R>(ids: readonly string[], concurrency: number, fetch: (id: string) => Promise<R>): Promise<FetchOutcome<R>> {
  const results: (R | undefined)[] = new Array(ids.length);
  const done: boolean[] = new Array(ids.length).fill(false);
  let next = 0;
  let rateLimit: SluiceError | undefined;
  let failure: unknown;
  const worker = async () => {
    while (next < ids.length && !rateLimit && failure === undefined) {
      const index = next++;
      try {
        results[index] = await fetch(ids[index]!);
        done[index] = true;
      } catch (error) {
        if (isSluiceError(error) && error.kind === 'retry-later') rateLimit ??= error;
        else failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  if (failure !== undefined) throw failure;
  return {
    results: results.filter((_, i) => done[i]) as R[],
    left: ids.filter((_, i) => !done[i]),
    ...(rateLimit ? { rateLimit } : {}),
  };
}
