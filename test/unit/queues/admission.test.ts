/** Who is admitted next (lib/queues/admission.ts) and whether a request fits its queue (lib/queues/run-queue.ts). */

import type { ValidationError } from '../../../lib/errors';
import { nextToAdmit, type QueuedEntry, weightOf } from '../../../lib/queues/admission';
import type { Queue } from '../../../lib/queues/config';
import { executionQueue, resolveRunQueue, withQueueDefaults } from '../../../lib/queues/run-queue';
import { entryKey } from '../../../lib/queues/store';

const fair: Queue = {
  name: 'shared',
  maxConcurrentRuns: 4,
  fairShare: {
    shareDistribution: [
      { shareIdentifier: 'a', weightFactor: 1 },
      { shareIdentifier: 'b', weightFactor: 0.5 },
      { shareIdentifier: 'etl*', weightFactor: 2 },
    ],
  },
};

let n = 0;
const entry = (priority: number, shareIdentifier?: string): QueuedEntry => {
  n += 1;
  return {
    runId: `r${n}`,
    priority,
    enqueuedAt: `2026-12-07T12:00:00.${String(n).padStart(3, '0')}Z`,
    shareIdentifier,
  };
};
/** In key order, as the queue's partition returns them. */
const sorted = (entries: QueuedEntry[]) => [...entries].sort((x, y) => entryKey(x).localeCompare(entryKey(y)));

describe('the key order', () => {
  it('is priority, higher first, then first come', () => {
    const [a, b, c, d] = [entry(0), entry(10), entry(0), entry(9999)];
    expect(sorted([a!, b!, c!, d!]).map((e) => e.runId)).toEqual([d!.runId, b!.runId, a!.runId, c!.runId]);
  });
});

describe('nextToAdmit', () => {
  it('without a fair-share policy, the first in key order', () => {
    const entries = sorted([entry(0), entry(5), entry(5)]);
    expect(nextToAdmit({ name: 'q' }, entries, { x: 3 })).toBe(entries[0]);
    expect(nextToAdmit({ name: 'q' }, [], {})).toBeUndefined();
  });

  it('with one, the share of the highest priority with the lowest running x weight, ties to the first come', () => {
    const [a1, b1, a2] = [entry(0, 'a'), entry(0, 'b'), entry(0, 'a')];
    const entries = sorted([a1!, b1!, a2!]);
    expect(nextToAdmit(fair, entries, {})).toBe(a1); // all at 0: first come
    expect(nextToAdmit(fair, entries, { a: 1 })).toBe(b1); // a 1 against b 0
    expect(nextToAdmit(fair, entries, { a: 1, b: 2 })).toBe(a1); // 1 x 1 = 1 against 2 x 0.5 = 1: first come
    expect(nextToAdmit(fair, entries, { a: 2, b: 2 })).toBe(b1); // 2 against 1
  });

  it('never lets fair share put a lower priority first', () => {
    const [high, low] = [entry(5, 'a'), entry(0, 'b')];
    expect(nextToAdmit(fair, sorted([high!, low!]), { a: 100 })).toBe(high);
  });

  it("weighs an identifier by its exact entry, else the longest prefix, else 1 (Batch's default)", () => {
    expect(weightOf(fair, 'b')).toBe(0.5);
    expect(weightOf(fair, 'etl-nightly')).toBe(2);
    expect(weightOf(fair, 'other')).toBe(1);
    expect(weightOf(fair, undefined)).toBe(1);
  });
});

describe('a run request and its queue', () => {
  const queues: Queue[] = [
    { name: 'default' },
    fair,
    { name: 'nightly', cluster: 'batch', capacity: { waitSeconds: 60 } },
  ];
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return (err as ValidationError).violations;
    }
    throw new Error('not refused');
  };

  it('defaults to the default queue', () => {
    expect(resolveRunQueue({}, queues).name).toBe('default');
  });

  it('refuses a queue the file does not have, naming the field and the queues there are', () => {
    expect(refusal(() => resolveRunQueue({ queue: 'nope' }, queues))).toEqual([
      {
        path: '$.queue',
        message: "Queue nope does not exist; this stage's queues are default, shared, nightly (queues.yml).",
      },
    ]);
  });

  it('needs a shareIdentifier in a fair-share queue and refuses one elsewhere, as Batch does', () => {
    expect(refusal(() => resolveRunQueue({ queue: 'shared' }, queues))[0]?.path).toBe('$.shareIdentifier');
    expect(refusal(() => resolveRunQueue({ shareIdentifier: 'a' }, queues))[0]?.message).toMatch(
      /Queue default has no fair-share policy/,
    );
    expect(resolveRunQueue({ queue: 'shared', shareIdentifier: 'a' }, queues).name).toBe('shared');
  });

  it("puts the queue's cluster and capacity under the request's own", () => {
    const nightly = queues[2]!;
    const body = { taskDefinition: 'job', count: 1, retry: { attempts: 1, evaluateOnExit: [] } } as never;
    expect(withQueueDefaults(body, nightly)).toMatchObject({ cluster: 'batch', capacity: { waitSeconds: 60 } });
    expect(
      withQueueDefaults(
        { ...(body as object), cluster: 'mine', capacity: { checkIntervalSeconds: 5 } } as never,
        nightly,
      ),
    ).toMatchObject({ cluster: 'mine', capacity: { waitSeconds: 60, checkIntervalSeconds: 5 } });
  });

  it("gives Enter Queue the queue's time limit and the words a timeout ends the run with", () => {
    const at = new Date('2026-12-07T12:00:00.000Z');
    expect(executionQueue({ name: 'q', maxConcurrentRuns: 2, maxQueuedSeconds: 60 }, { priority: 3 }, at)).toEqual({
      name: 'q',
      priority: 3,
      enqueuedAt: '2026-12-07T12:00:00.000Z',
      maxQueuedSeconds: 60,
      timeoutMessage:
        'The run waited longer than maxQueuedSeconds (60 s) for a slot in queue q (limit 2): runs ahead of it held every slot, or the queue was paused.',
    });
    expect(executionQueue({ name: 'default' }, {}, at).maxQueuedSeconds).toBe(99_999_999);
  });
});
