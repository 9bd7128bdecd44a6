/**
 * Maps with a few requests in flight: GitHub asks clients not to hammer it concurrently,
 * but one at a time makes a page of 100 blobs or comment lists needlessly slow.
 */
export const REQUESTS_IN_FLIGHT = 4;

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let nextIndex = 0;
  let failed = false;
  async function worker(): Promise<void> {
    // After a failure the page is lost anyway: stop issuing requests.
    while (!failed && nextIndex < items.length) {
      const index = nextIndex++;
      try {
        results[index] = await fn(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
