import { mapLimited } from '../../lib/concurrency';

/** A call the test settles by hand, so concurrency is observed without timers. */
function controlled() {
  const calls: { item: number; resolve: (value: string) => void; reject: (err: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = (item: number) =>
    new Promise<string>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const settle =
        <A>(f: (a: A) => void) =>
        (a: A) => {
          inFlight--;
          f(a);
        };
      calls.push({ item, resolve: settle(resolve), reject: settle(reject) });
    });
  return { fn, calls, maxInFlight: () => maxInFlight };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

it('keeps at most `limit` calls in flight and returns results in input order', async () => {
  const { fn, calls, maxInFlight } = controlled();
  const result = mapLimited([1, 2, 3, 4, 5], 2, fn);
  await flush();
  expect(calls.map((c) => c.item)).toEqual([1, 2]);
  // Settle out of order: the second call first, then whatever starts next.
  calls[1]?.resolve('b');
  await flush();
  expect(calls.map((c) => c.item)).toEqual([1, 2, 3]);
  calls[2]?.resolve('c');
  calls[0]?.resolve('a');
  await flush();
  expect(calls.map((c) => c.item)).toEqual([1, 2, 3, 4, 5]);
  calls[4]?.resolve('e');
  calls[3]?.resolve('d');
  await expect(result).resolves.toEqual(['a', 'b', 'c', 'd', 'e']);
  expect(maxInFlight()).toBe(2);
});

it('calls nothing for no items', async () => {
  const fn = jest.fn(async (n: number) => n);
  await expect(mapLimited([], 4, fn)).resolves.toEqual([]);
  expect(fn).not.toHaveBeenCalled();
});

it('runs every item at once when the limit exceeds the count', async () => {
  const { fn, calls, maxInFlight } = controlled();
  const result = mapLimited([1, 2, 3], 10, fn);
  await flush();
  expect(calls).toHaveLength(3);
  for (const call of calls) call.resolve(String(call.item));
  await expect(result).resolves.toEqual(['1', '2', '3']);
  expect(maxInFlight()).toBe(3);
});

it('rejects with the error of a call that rejects', async () => {
  const { fn, calls } = controlled();
  const result = mapLimited([1, 2, 3], 2, fn);
  await flush();
  calls[0]?.reject(new Error('throttled'));
  await expect(result).rejects.toThrow('throttled');
});
