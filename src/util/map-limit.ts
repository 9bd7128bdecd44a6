import pLimit from 'p-limit';

/**
 * `Promise.all(items.map(fn))` with at most `limit` calls in flight (a page of files cannot hit
 * EMFILE, a page of blobs does not hammer GitHub). After the first failure no further call starts:
 * the result is lost anyway.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const run = pLimit(Math.max(1, limit));
  let failed = false;
  // Calls skipped after a failure resolve to nothing; Promise.all has rejected with the failure by then.
  // (clearQueue would reject them first, and its AbortError would hide the real error.)
  const skipped = undefined as R;
  return Promise.all(
    items.map((item, index) =>
      run(async () => {
        if (failed) return skipped;
        try {
          return await fn(item, index);
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    ),
  );
}
