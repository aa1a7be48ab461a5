/**
 * Runs `task` on every item with at most `limit` calls in flight, and resolves to the results
 * in the order of `items`. A free slot takes the next item at once, so one slow call holds up
 * only itself, not a whole batch. The first failure rejects; calls already started run on.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  if (!(limit >= 1)) throw new RangeError(`mapLimit: the limit must be at least 1, not ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  const runSlot = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runSlot));
  return results;
}
