/**
 * Bounded concurrency for AWS calls that are rate-limited (Step Functions history reads, ECS describe calls).
 */

/** Maps with at most `limit` calls of `fn` in flight, results in the order of `items`; rejects if a call rejects. */
export async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
