/**
 * local/events/aws-events.ts: the channel the endpoint's ECS and Step Functions put their events through. It never
 * makes the emitter wait, keeps the emitters' order, holds events until the bus attaches, and drops them when the
 * endpoint serves no EventBridge.
 */
import { AwsEventChannel, type AwsServiceEvent } from '../../../local/events/aws-events';
import type { NewEvent } from '../../../local/events/models';

const event = (n: number): AwsServiceEvent => ({
  source: 'aws.ecs',
  detailType: 'ECS Task State Change',
  detail: { version: n },
  resources: ['arn:aws:ecs:us-east-1:123456789012:task/default/abc'],
  time: 0,
});

function recordingSink() {
  const batches: NewEvent[][] = [];
  return {
    batches,
    versions: () => batches.flat().map((e) => e.detail.version),
    recordServiceEvents(entries: readonly NewEvent[]) {
      batches.push([...entries]);
    },
  };
}

it('returns before the bus sees the event, and hands events over in the order they were put', async () => {
  const channel = new AwsEventChannel();
  const sink = recordingSink();
  channel.attach(sink);
  for (let n = 1; n <= 3; n++) channel.put(event(n));
  expect(sink.batches).toEqual([]);
  await new Promise((resolve) => setImmediate(resolve));
  for (let n = 4; n <= 1200; n++) channel.put(event(n));
  await channel.drained();
  expect(sink.versions()).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  expect(sink.batches.flat().every((e) => e.eventBusName === 'default')).toBe(true);
});

it('holds events put before the bus attaches, and drops them all once sealed without one', async () => {
  const held = new AwsEventChannel();
  held.put(event(1));
  held.put(event(2));
  const sink = recordingSink();
  held.attach(sink);
  held.seal();
  await held.drained();
  expect(sink.versions()).toEqual([1, 2]);

  const dropped = new AwsEventChannel();
  dropped.put(event(1));
  dropped.seal();
  await dropped.drained();
  dropped.put(event(2));
  const late = recordingSink();
  dropped.attach(late);
  await dropped.drained();
  expect(late.batches).toEqual([]);
});

it('shows every event to its listeners, in order, before the bus, with or without a bus', async () => {
  const order: string[] = [];
  const withBus = new AwsEventChannel();
  withBus.attach({
    recordServiceEvents(entries) {
      for (const e of entries) order.push(`bus ${e.detail.version}`);
    },
  });
  const stop = withBus.listen((e) => order.push(`listener ${e.detail.version}`));
  withBus.put(event(1));
  withBus.put(event(2));
  await withBus.drained();
  stop();
  withBus.put(event(3));
  await withBus.drained();
  expect(order).toEqual(['listener 1', 'listener 2', 'bus 1', 'bus 2', 'bus 3']);

  const seen: unknown[] = [];
  const noBus = new AwsEventChannel();
  noBus.listen((e) => seen.push(e.detail.version));
  noBus.put(event(1));
  noBus.seal();
  noBus.put(event(2));
  await noBus.drained();
  expect(seen).toEqual([1, 2]);
});

it('logs a batch the bus could not record and goes on with the next', async () => {
  const lines: string[] = [];
  const channel = new AwsEventChannel((line) => lines.push(line));
  let calls = 0;
  const versions: unknown[] = [];
  channel.attach({
    recordServiceEvents(entries) {
      calls++;
      if (calls === 1) throw new Error('disk full');
      versions.push(...entries.map((e) => e.detail.version));
    },
  });
  channel.put(event(1));
  await channel.drained();
  channel.put(event(2));
  await channel.drained();
  expect(lines).toEqual(['1 AWS service event(s) (ECS Task State Change) could not be recorded: disk full']);
  expect(versions).toEqual([2]);
});

it('takes no events after close', async () => {
  const channel = new AwsEventChannel();
  const sink = recordingSink();
  channel.attach(sink);
  channel.put(event(1));
  await channel.close();
  channel.put(event(2));
  await channel.drained();
  expect(sink.versions()).toEqual([1]);
});
