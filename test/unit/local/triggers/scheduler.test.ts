/** The local scheduler on a clock set by the test: fire times, the kept start of rate schedules, closing. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ScheduleTrigger } from '../../../../lib/triggers/config';
import { DurableStore } from '../../../../local/store';
import { scaledClock } from '../../../../local/triggers/clock';
import { type Firing, LocalScheduler } from '../../../../local/triggers/scheduler';

const schedule = (expression: string, extra: Partial<ScheduleTrigger> = {}): ScheduleTrigger => ({
  type: 'schedule',
  name: 'every',
  enabled: true,
  expression,
  run: { taskDefinition: 'x' },
  ...extra,
});

async function fire(
  trigger: ScheduleTrigger,
  start: string,
  count: number,
  store: DurableStore<unknown>,
  scale = 0.00001,
) {
  const firings: Firing[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  // At the default scale a minute passes in 0.6 ms.
  const clock = scaledClock({ start: Date.parse(start), scale });
  const before = clock.now();
  const scheduler = new LocalScheduler({
    triggers: [trigger],
    clock,
    store,
    log: () => {},
    // The clock runs fast: the next firing can come before close() below. Only the first `count` are the run's.
    fire: async (firing) => {
      if (firings.length >= count) return;
      firings.push(firing);
      if (firings.length === count) done();
    },
  });
  await scheduler.start();
  // What the clock read around the start: a loaded machine can delay it by many clock seconds.
  const started = { before, after: clock.now() };
  await enough;
  await scheduler.close();
  return Object.assign(firings, { started });
}

let store: DurableStore<unknown>;
beforeEach(async () => {
  store = await DurableStore.open(mkdtempSync(path.join(os.tmpdir(), 'berth-sched-')), 'triggers');
});
afterEach(async () => {
  await store.close();
});

it('fires a cron schedule at its times, in its time zone, with Scheduler-shaped execution ids', async () => {
  // The clock starts the evening before, after that day's firings: the first is 23.5 clock hours (about 0.85 s)
  // away, so a start delayed on a loaded machine still comes before it (five clock minutes, 3 ms, did not).
  const firings = await fire(
    schedule('cron(0/30 9 * * ? *)', { timeZone: 'Europe/Berlin' }),
    '2024-01-14T08:31:00Z',
    3,
    store,
  );
  expect(Date.parse('2024-01-15T08:00:00Z')).toBeGreaterThan(firings.started.after);
  expect(firings.map((f) => f.scheduledTime)).toEqual([
    '2024-01-15T08:00:00Z',
    '2024-01-15T08:30:00Z',
    '2024-01-16T08:00:00Z',
  ]);
  for (const f of firings) expect(f.executionId).toMatch(/^[0-9a-f]{16}$/);
});

it('fires a new rate schedule at once, then every period; a restart keeps its start', async () => {
  const ms = (f: Firing) => Date.parse(f.scheduledTime);
  // A minute passes in 120 ms: the start is "now" on that clock, read while the scheduler started.
  const first = await fire(schedule('rate(10 minutes)'), '2024-01-01T00:00:00Z', 2, store, 0.002);
  const { startMs } = store.get('schedule-start/every') as { startMs: number };
  expect(ms(first[0]!)).toBe(Math.floor(startMs / 1000) * 1000);
  expect(startMs).toBeGreaterThanOrEqual(first.started.before);
  expect(startMs).toBeLessThanOrEqual(first.started.after);
  expect(ms(first[1]!) - ms(first[0]!)).toBe(600_000);
  // Restarted 25 minutes later, it keeps its start: the next firing is the start + 30 minutes.
  const again = await fire(schedule('rate(10 minutes)'), '2024-01-01T00:25:00Z', 1, store, 0.002);
  expect(ms(again[0]!)).toBe(Math.floor((startMs + 1_800_000) / 1000) * 1000);
  // A changed expression is a new schedule: it starts (and fires) then.
  const changed = await fire(schedule('rate(15 minutes)'), '2024-01-01T02:00:00Z', 1, store, 0.002);
  expect(ms(changed[0]!)).toBeGreaterThanOrEqual(Math.floor(changed.started.before / 1000) * 1000);
  expect(ms(changed[0]!)).toBeLessThanOrEqual(changed.started.after);
});

it('does not run disabled schedules', async () => {
  const scheduler = new LocalScheduler({
    triggers: [schedule('rate(1 minute)', { enabled: false })],
    clock: scaledClock({ scale: 0.001 }),
    store,
    log: () => {},
    fire: () => Promise.reject(new Error('must not fire')),
  });
  await scheduler.start();
  await scheduler.close();
  expect(store.get('schedule-start/every')).toBeUndefined();
});
