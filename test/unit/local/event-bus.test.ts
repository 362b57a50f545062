/**
 * The local event bus's model on its own: the recorded-events cap (oldest dropped first, also on disk),
 * paging, and a restart continuing the sequence. See local/events/models.ts.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENTS_STORE_OPTIONS, eventTime, LocalEventBus, type NewEvent } from '../../../local/events/models';
import { EventSubscribers } from '../../../local/events/subscribers';
import { DurableStore } from '../../../local/store';

const event = (n: number): NewEvent => ({
  source: 'cap.test',
  detailType: 'Numbered',
  detail: { n },
  resources: [],
  time: Date.UTC(2024, 0, 1, 12, 0, n, 750),
  eventBusName: 'default',
});

async function open(dir: string, maxRecordedEvents: number) {
  const store = await DurableStore.open<unknown>(dir, 'events', EVENTS_STORE_OPTIONS);
  const bus = LocalEventBus.load(store, {
    region: 'us-east-1',
    accountId: '123456789012',
    subscribers: new EventSubscribers(() => {}),
    log: () => {},
    maxRecordedEvents,
  });
  return { store, bus };
}

const numbers = (bus: LocalEventBus) =>
  bus.listEvents({ maxResults: 100 }).events.map((record) => record.event.detail.n);

it('keeps the newest maxRecordedEvents, on disk too, and goes on numbering after a restart', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-event-bus-'));
  const first = await open(dir, 3);
  await first.bus.putEvents([event(1), event(2)]);
  await first.bus.putEvents([event(3), event(4), event(5)]);
  expect(numbers(first.bus)).toEqual([3, 4, 5]);
  expect(first.store.size).toBe(3);
  await first.store.close();

  const second = await open(dir, 3);
  expect(numbers(second.bus)).toEqual([3, 4, 5]);
  const [sixth] = await second.bus.putEvents([event(6)]);
  expect(sixth!.seq).toBe(6);
  expect(numbers(second.bus)).toEqual([4, 5, 6]);
  const page = second.bus.listEvents({ maxResults: 2 });
  expect(page.events.map((r) => r.seq)).toEqual([4, 5]);
  expect(second.bus.listEvents({ maxResults: 2, after: page.next! }).events.map((r) => r.seq)).toEqual([6]);
  await second.store.close();
});

it('holds recorded events on disk only, and still filters and pages them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-event-bus-'));
  const { store, bus } = await open(dir, 100);
  await bus.putEvents([event(1), { ...event(2), source: 'other.test' }, event(3)]);
  bus.recordServiceEvents([{ ...event(4), detailType: 'Service' }, event(5)]);
  await store.durable();
  expect(store.evictedCount).toBe(5);
  expect(numbers(bus)).toEqual([1, 2, 3, 4, 5]);
  expect(bus.listEvents({ maxResults: 100, source: 'cap.test' }).events.map((r) => r.event.detail.n)).toEqual([
    1, 3, 4, 5,
  ]);
  const page = bus.listEvents({ maxResults: 1, source: 'cap.test', detailType: 'Numbered' });
  expect(page.events.map((r) => r.seq)).toEqual([1]);
  expect(
    bus
      .listEvents({ maxResults: 5, source: 'cap.test', detailType: 'Numbered', after: page.next! })
      .events.map((r) => r.seq),
  ).toEqual([3, 5]);
  await store.close();
  const again = await open(dir, 100);
  expect(again.store.evictedCount).toBe(5);
  expect(again.bus.listEvents({ maxResults: 100, detailType: 'Service' }).events.map((r) => r.seq)).toEqual([4]);
  await again.store.close();
});

it('writes event times to the second, in UTC, as EventBridge does', () => {
  expect(eventTime(Date.UTC(2017, 11, 22, 18, 43, 48, 999))).toBe('2017-12-22T18:43:48Z');
});
