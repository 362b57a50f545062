/** local/logs: the store's in-memory copy of a stream and its file agree, and GetLogEvents' tokens read back. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logsOperations } from '../../../local/logs/api';
import { LogStore, MAX_LOADED } from '../../../local/logs/models';
import { DurableStore } from '../../../local/store';

const ctx = { requestId: 'r' };
let store: LogStore;
let ops: ReturnType<typeof logsOperations>;

beforeEach(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-log-store-'));
  store = await LogStore.load(await DurableStore.open<unknown>(dir, 'logs'), {
    region: 'us-east-1',
    accountId: '123456789012',
    stateDir: dir,
  });
  ops = logsOperations(store);
  await ops.CreateLogGroup!({ logGroupName: 'g' }, ctx);
});
afterEach(() => store.close());

const messages = async (stream: string) =>
  (
    (await ops.GetLogEvents!({ logGroupName: 'g', logStreamName: stream, startFromHead: true }, ctx)) as {
      events: Array<{ message: string }>;
    }
  ).events.map((e) => e.message);

it('reads a stream evicted from memory with the events put in the same turn as the read', async () => {
  const now = Date.now();
  await ops.CreateLogStream!({ logGroupName: 'g', logStreamName: 's' }, ctx);
  await ops.PutLogEvents!(
    { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now, message: 'first' }] },
    ctx,
  );
  // Push `s` out of memory by reading as many other streams.
  for (let i = 0; i < MAX_LOADED; i++) {
    await ops.CreateLogStream!({ logGroupName: 'g', logStreamName: `other-${i}` }, ctx);
    await messages(`other-${i}`);
  }
  const put = ops.PutLogEvents!(
    { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now + 1, message: 'second' }] },
    ctx,
  );
  const read = messages('s');
  await put;
  expect(await read).toEqual(['first', 'second']);
  expect(await messages('s')).toEqual(['first', 'second']);
});

it('orders events put out of order across calls by timestamp', async () => {
  const now = Date.now();
  await ops.CreateLogStream!({ logGroupName: 'g', logStreamName: 's' }, ctx);
  await ops.PutLogEvents!(
    { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now + 10, message: 'later' }] },
    ctx,
  );
  await ops.PutLogEvents!(
    { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now, message: 'earlier' }] },
    ctx,
  );
  expect(await messages('s')).toEqual(['earlier', 'later']);
});

it('gives tokens from an empty stream that read back, both ways', async () => {
  await ops.CreateLogStream!({ logGroupName: 'g', logStreamName: 'empty' }, ctx);
  const first = (await ops.GetLogEvents!({ logGroupName: 'g', logStreamName: 'empty' }, ctx)) as {
    nextForwardToken: string;
    nextBackwardToken: string;
  };
  for (const nextToken of [first.nextForwardToken, first.nextBackwardToken]) {
    const again = (await ops.GetLogEvents!({ logGroupName: 'g', logStreamName: 'empty', nextToken }, ctx)) as {
      events: unknown[];
    };
    expect(again.events).toEqual([]);
  }
});

it('applies a retention to events already kept: hidden at once, removed from disk when the store opens again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-log-retention-'));
  let clock = Date.now();
  const open = async () => {
    const opened = await LogStore.load(await DurableStore.open<unknown>(dir, 'logs'), {
      region: 'us-east-1',
      accountId: '123456789012',
      stateDir: dir,
      now: () => clock,
    });
    return { opened, api: logsOperations(opened, () => clock) };
  };
  let { opened, api } = await open();
  await api.CreateLogGroup!({ logGroupName: 'kept' }, ctx);
  await api.CreateLogStream!({ logGroupName: 'kept', logStreamName: 's' }, ctx);
  await api.PutLogEvents!(
    { logGroupName: 'kept', logStreamName: 's', logEvents: [{ timestamp: clock, message: 'old' }] },
    ctx,
  );
  clock += 2 * 24 * 3600_000;
  await api.PutLogEvents!(
    { logGroupName: 'kept', logStreamName: 's', logEvents: [{ timestamp: clock, message: 'new' }] },
    ctx,
  );
  await api.PutRetentionPolicy!({ logGroupName: 'kept', retentionInDays: 1 }, ctx);
  const read = async () =>
    (
      (await api.GetLogEvents!({ logGroupName: 'kept', logStreamName: 's', startFromHead: true }, ctx)) as {
        events: Array<{ message: string }>;
      }
    ).events.map((e) => e.message);
  expect(await read()).toEqual(['new']);
  await opened.close();
  ({ opened, api } = await open());
  expect(await read()).toEqual(['new']);
  const streams = (await api.DescribeLogStreams!({ logGroupName: 'kept' }, ctx)) as {
    logStreams: Array<{ firstEventTimestamp: number }>;
  };
  expect(streams.logStreams[0]?.firstEventTimestamp).toBe(clock);
  await opened.close();
});
