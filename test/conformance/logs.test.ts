/**
 * The local CloudWatch Logs (Logs_20140328) through the AWS SDK's CloudWatchLogsClient and the AWS CLI
 * (`aws logs ... --endpoint-url`), as a user would drive them. Shapes and rules follow
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html, API_GetLogEvents.html,
 * API_FilterLogEvents.html and API_DescribeLogStreams.html.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsCliJson } from './aws-cli';
import { type LocalEndpoint, REGION, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(60_000);

let endpoint: LocalEndpoint;
let logs: CloudWatchLogsClient;
let stateDir: string;

async function start() {
  endpoint = await startLocalEndpoint(stateDir);
  logs = new CloudWatchLogsClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

async function stop() {
  logs.destroy();
  await endpoint.close();
}

beforeAll(async () => {
  stateDir = tempStateDir();
  await start();
});
afterAll(stop);

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected a rejection');
}

async function groupWithStream(group: string, stream: string) {
  await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
}

const put = (group: string, stream: string, events: Array<{ timestamp: number; message: string }>) =>
  logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));

describe('groups and streams', () => {
  it('creates, describes, and refuses duplicates and unknown names in AWS words', async () => {
    await groupWithStream('/berth/groups', 'app/web/1');
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/berth/groups' }));
    expect(groups.logGroups).toEqual([
      expect.objectContaining({
        logGroupName: '/berth/groups',
        arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/berth/groups:*',
        logGroupArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/berth/groups',
      }),
    ]);
    expect(groups.logGroups?.[0]?.retentionInDays).toBeUndefined();
    expect(await rejection(logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/groups' })))).toEqual({
      name: 'ResourceAlreadyExistsException',
      message: 'The specified log group already exists',
      status: 400,
    });
    expect(
      await rejection(logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/none', logStreamName: 's' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    expect(
      await rejection(logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/groups', logStreamName: 'a:b' }))),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message:
        "1 validation error detected: Value 'a:b' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*",
    });
    expect(
      await rejection(
        logs.send(
          new PutLogEventsCommand({
            logGroupName: '/berth/groups',
            logStreamName: 'nope',
            logEvents: [{ timestamp: Date.now(), message: 'x' }],
          }),
        ),
      ),
    ).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
  });

  it('sets and removes a retention policy, refusing days AWS does not offer', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/retention' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/retention', retentionInDays: 30 }));
    let groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/berth/retention' }));
    expect(groups.logGroups?.[0]?.retentionInDays).toBe(30);
    const bad = await rejection(
      logs.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/retention', retentionInDays: 2 })),
    );
    expect(bad.name).toBe('InvalidParameterException');
    expect(bad.message).toContain(
      "Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5,",
    );
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/berth/retention' }));
    groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/berth/retention' }));
    expect(groups.logGroups?.[0]?.retentionInDays).toBeUndefined();
  });

  it('keeps out events older than the retention, and reports them as expired', async () => {
    await groupWithStream('/berth/expiring', 's');
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/berth/expiring', retentionInDays: 1 }));
    const now = Date.now();
    const old = await put('/berth/expiring', 's', [
      { timestamp: now - 3 * 24 * 3600_000, message: 'three days old' },
      { timestamp: now - 3 * 24 * 3600_000 + 1, message: 'three days old too' },
    ]);
    expect(old.rejectedLogEventsInfo).toEqual({ expiredLogEventEndIndex: 1 });
    const fresh = await put('/berth/expiring', 's', [{ timestamp: now, message: 'fresh' }]);
    expect(fresh.rejectedLogEventsInfo).toBeUndefined();
    const read = await logs.send(new GetLogEventsCommand({ logGroupName: '/berth/expiring', logStreamName: 's' }));
    expect(read.events?.map((e) => e.message)).toEqual(['fresh']);
  });

  it('pages DescribeLogStreams by name, and orders by LastEventTime', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/paging' }));
    for (const name of ['c', 'a', 'b']) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/paging', logStreamName: name }));
    }
    const first = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/berth/paging', limit: 2 }));
    expect(first.logStreams?.map((s) => s.logStreamName)).toEqual(['a', 'b']);
    const second = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: '/berth/paging', limit: 2, nextToken: first.nextToken }),
    );
    expect(second.logStreams?.map((s) => s.logStreamName)).toEqual(['c']);
    expect(second.nextToken).toBeUndefined();
    const now = Date.now();
    await put('/berth/paging', 'a', [{ timestamp: now, message: 'late' }]);
    await put('/berth/paging', 'c', [{ timestamp: now - 1000, message: 'early' }]);
    const byTime = await logs.send(
      new DescribeLogStreamsCommand({ logGroupName: '/berth/paging', orderBy: 'LastEventTime', descending: true }),
    );
    expect(byTime.logStreams?.map((s) => s.logStreamName)).toEqual(['a', 'c', 'b']);
    expect(byTime.logStreams?.[0]).toMatchObject({ firstEventTimestamp: now, lastEventTimestamp: now });
    expect(
      await rejection(
        logs.send(
          new DescribeLogStreamsCommand({
            logGroupName: '/berth/paging',
            orderBy: 'LastEventTime',
            logStreamNamePrefix: 'a',
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('PutLogEvents limits', () => {
  beforeAll(() => groupWithStream('/berth/limits', 's'));

  it('refuses events out of chronological order, spanning over 24 hours, too large, or too many', async () => {
    const now = Date.now();
    expect(
      await rejection(
        put('/berth/limits', 's', [
          { timestamp: now, message: 'b' },
          { timestamp: now - 1, message: 'a' },
        ]),
      ),
    ).toEqual({
      name: 'InvalidParameterException',
      message: 'Log events in a single PutLogEvents request must be in chronological order.',
      status: 400,
    });
    expect(
      await rejection(
        put('/berth/limits', 's', [
          { timestamp: now - 25 * 3600_000, message: 'a' },
          { timestamp: now, message: 'b' },
        ]),
      ),
    ).toMatchObject({
      message: 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
    });
    expect(
      await rejection(put('/berth/limits', 's', [{ timestamp: now, message: 'x'.repeat(262_144 - 25) }])),
    ).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Log event too large: 262145 bytes exceeds limit of 262144',
    });
    // 5 events of 209,715 bytes with 26 bytes each of overhead: 1,048,705 bytes, over the 1,048,576 limit.
    const big = Array.from({ length: 5 }, () => ({ timestamp: now, message: 'y'.repeat(209_715) }));
    expect(await rejection(put('/berth/limits', 's', big))).toMatchObject({
      message: 'Upload too large: 1048705 bytes exceeds limit of 1048576',
    });
    const many = Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'z' }));
    expect((await rejection(put('/berth/limits', 's', many))).message).toContain(
      "at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000",
    );
    // Exactly at the limits is fine.
    const accepted = await put(
      '/berth/limits',
      's',
      Array.from({ length: 10_000 }, (_, i) => ({ timestamp: now + i, message: 'm' })),
    );
    expect(accepted.rejectedLogEventsInfo).toBeUndefined();
  });

  it('rejects events over two hours in the future and over 14 days old, keeping the rest', async () => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/limits', logStreamName: 'edges' }));
    const now = Date.now();
    const old = await put('/berth/limits', 'edges', [
      { timestamp: now - 14 * 24 * 3600_000 - 3600_000, message: 'old' },
      { timestamp: now - 13 * 24 * 3600_000 - 23 * 3600_000, message: 'kept' },
    ]);
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 0 });
    const early = await put('/berth/limits', 'edges', [
      { timestamp: now, message: 'kept too' },
      { timestamp: now + 3 * 3600_000, message: 'new' },
    ]);
    expect(early.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    const read = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/limits', logStreamName: 'edges', startFromHead: true }),
    );
    expect(read.events?.map((e) => e.message)).toEqual(['kept', 'kept too']);
  });
});

describe('GetLogEvents', () => {
  const base = Date.now() - 60_000;
  beforeAll(async () => {
    await groupWithStream('/berth/get', 'p/c/t');
    await put(
      '/berth/get',
      'p/c/t',
      Array.from({ length: 10 }, (_, i) => ({ timestamp: base + i * 10, message: `line ${i}` })),
    );
  });
  const get = (extra: Record<string, unknown> = {}) =>
    logs.send(new GetLogEventsCommand({ logGroupName: '/berth/get', logStreamName: 'p/c/t', ...extra }));

  it('gives the latest events by default and the first from the head, with AWS-shaped tokens', async () => {
    const tail = await get({ limit: 3 });
    expect(tail.events?.map((e) => e.message)).toEqual(['line 7', 'line 8', 'line 9']);
    expect(tail.nextForwardToken).toMatch(/^f\/\d{56}\/s$/);
    expect(tail.nextBackwardToken).toMatch(/^b\/\d{56}\/s$/);
    const head = await get({ limit: 3, startFromHead: true });
    expect(head.events?.map((e) => e.message)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(head.events?.[0]).toEqual({ timestamp: base, message: 'line 0', ingestionTime: expect.any(Number) });
  });

  it('pages forward and backward with the tokens, and a forward token at the end comes back unchanged', async () => {
    const seen: string[] = [];
    let page = await get({ limit: 4, startFromHead: true });
    for (;;) {
      seen.push(...(page.events ?? []).map((e) => e.message!));
      const next = await get({ limit: 4, nextToken: page.nextForwardToken });
      if (next.nextForwardToken === page.nextForwardToken) {
        expect(next.events).toEqual([]);
        break;
      }
      page = next;
    }
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`));
    const tail = await get({ limit: 3 });
    const back = await get({ limit: 3, nextToken: tail.nextBackwardToken });
    expect(back.events?.map((e) => e.message)).toEqual(['line 4', 'line 5', 'line 6']);
  });

  it('follows a stream: a forward token yields what was written since', async () => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/get', logStreamName: 'follow' }));
    const empty = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/get', logStreamName: 'follow', startFromHead: true }),
    );
    expect(empty.events).toEqual([]);
    await put('/berth/get', 'follow', [{ timestamp: Date.now(), message: 'one' }]);
    const first = await logs.send(
      new GetLogEventsCommand({
        logGroupName: '/berth/get',
        logStreamName: 'follow',
        nextToken: empty.nextForwardToken,
      }),
    );
    expect(first.events?.map((e) => e.message)).toEqual(['one']);
    await put('/berth/get', 'follow', [{ timestamp: Date.now(), message: 'two' }]);
    const second = await logs.send(
      new GetLogEventsCommand({
        logGroupName: '/berth/get',
        logStreamName: 'follow',
        nextToken: first.nextForwardToken,
      }),
    );
    expect(second.events?.map((e) => e.message)).toEqual(['two']);
  });

  it('applies startTime (inclusive) and endTime (exclusive), and refuses tokens of other streams', async () => {
    const window = await get({ startTime: base + 20, endTime: base + 50, startFromHead: true });
    expect(window.events?.map((e) => e.message)).toEqual(['line 2', 'line 3', 'line 4']);
    const other = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/get', logStreamName: 'follow', startFromHead: true }),
    );
    expect(await rejection(get({ nextToken: other.nextForwardToken }))).toMatchObject({
      name: 'InvalidParameterException',
      message: 'The specified nextToken is invalid.',
    });
    expect((await rejection(get({ limit: 10_001 }))).message).toContain(
      'Member must have value less than or equal to 10000',
    );
  });

  it('keeps a page to 1 MB', async () => {
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/get', logStreamName: 'big' }));
    const now = Date.now();
    const message = 'b'.repeat(200_000);
    for (let i = 0; i < 3; i++) {
      await put('/berth/get', 'big', [
        { timestamp: now + i * 2, message },
        { timestamp: now + i * 2 + 1, message },
      ]);
    }
    const page = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/get', logStreamName: 'big', startFromHead: true }),
    );
    expect(page.events).toHaveLength(5);
    const rest = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/get', logStreamName: 'big', nextToken: page.nextForwardToken }),
    );
    expect(rest.events).toHaveLength(1);
  });
});

describe('FilterLogEvents', () => {
  const base = Date.now() - 60_000;
  beforeAll(async () => {
    await groupWithStream('/berth/filter', 'app/web/1');
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/berth/filter', logStreamName: 'app/worker/1' }));
    await put('/berth/filter', 'app/web/1', [
      { timestamp: base, message: 'ERROR Connection reset by peer' },
      { timestamp: base + 2, message: 'INFO started' },
      { timestamp: base + 4, message: 'WARN slow request' },
    ]);
    await put('/berth/filter', 'app/worker/1', [
      { timestamp: base + 1, message: 'ERROR Retrying job 7' },
      { timestamp: base + 3, message: 'INFO job 7 done' },
    ]);
  });
  const filter = (extra: Record<string, unknown> = {}) =>
    logs.send(new FilterLogEventsCommand({ logGroupName: '/berth/filter', ...extra }));

  it('interleaves the streams by time', async () => {
    const all = await filter();
    expect(all.events?.map((e) => [e.logStreamName, e.message])).toEqual([
      ['app/web/1', 'ERROR Connection reset by peer'],
      ['app/worker/1', 'ERROR Retrying job 7'],
      ['app/web/1', 'INFO started'],
      ['app/worker/1', 'INFO job 7 done'],
      ['app/web/1', 'WARN slow request'],
    ]);
    expect(all.events?.[0]?.eventId).toMatch(/^\d{56}$/);
  });

  it('matches terms, quoted phrases, alternatives and exclusions', async () => {
    const messages = async (filterPattern: string) => (await filter({ filterPattern })).events?.map((e) => e.message);
    expect(await messages('ERROR')).toEqual(['ERROR Connection reset by peer', 'ERROR Retrying job 7']);
    expect(await messages('job 7')).toEqual(['ERROR Retrying job 7', 'INFO job 7 done']);
    expect(await messages('"reset by peer"')).toEqual(['ERROR Connection reset by peer']);
    expect(await messages('"by reset"')).toEqual([]);
    expect(await messages('?WARN ?Retrying')).toEqual(['ERROR Retrying job 7', 'WARN slow request']);
    expect(await messages('ERROR -Retrying')).toEqual(['ERROR Connection reset by peer']);
    expect(await messages('error')).toEqual([]);
  });

  it('selects streams by name or prefix, and pages with nextToken', async () => {
    const worker = await filter({ logStreamNames: ['app/worker/1'] });
    expect(worker.events?.map((e) => e.message)).toEqual(['ERROR Retrying job 7', 'INFO job 7 done']);
    const web = await filter({ logStreamNamePrefix: 'app/web' });
    expect(web.events).toHaveLength(3);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await filter({ limit: 2, nextToken });
      expect(page.events!.length).toBeLessThanOrEqual(2);
      seen.push(...page.events!.map((e) => e.message!));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  it('refuses patterns it cannot match and both stream selectors at once', async () => {
    expect(await rejection(filter({ filterPattern: '{ $.level = "ERROR" }' }))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await rejection(filter({ filterPattern: '"unclosed' }))).toMatchObject({
      name: 'InvalidParameterException',
    });
    expect(await rejection(filter({ logStreamNames: ['app/web/1'], logStreamNamePrefix: 'app' }))).toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('persistence', () => {
  it('keeps groups, streams and events across a restart, and deletes a group with its streams', async () => {
    await groupWithStream('/berth/restart', 's');
    const now = Date.now();
    await put('/berth/restart', 's', [
      { timestamp: now, message: 'before restart 1' },
      { timestamp: now + 1, message: 'before restart 2' },
    ]);
    const token = (
      await logs.send(
        new GetLogEventsCommand({ logGroupName: '/berth/restart', logStreamName: 's', startFromHead: true }),
      )
    ).nextForwardToken;
    await stop();
    await start();
    await put('/berth/restart', 's', [{ timestamp: now + 2, message: 'after restart' }]);
    const read = await logs.send(
      new GetLogEventsCommand({ logGroupName: '/berth/restart', logStreamName: 's', nextToken: token }),
    );
    expect(read.events?.map((e) => e.message)).toEqual(['after restart']);
    await logs.send(new DeleteLogGroupCommand({ logGroupName: '/berth/restart' }));
    expect(
      await rejection(logs.send(new GetLogEventsCommand({ logGroupName: '/berth/restart', logStreamName: 's' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  });
});

describe('AWS CLI', () => {
  const cli = (...args: string[]) => awsCliJson('logs', endpoint.url, ...args);

  it('get-log-events, filter-log-events and describe-log-streams print what the SDK put', async () => {
    await groupWithStream('/berth/cli', 'fam/app/0123');
    const now = Date.now();
    await put('/berth/cli', 'fam/app/0123', [
      { timestamp: now, message: 'line 1' },
      { timestamp: now + 1, message: 'line 2' },
    ]);
    const got = await cli(
      'get-log-events',
      '--log-group-name',
      '/berth/cli',
      '--log-stream-name',
      'fam/app/0123',
      '--start-from-head',
    );
    expect(got.events.map((e: { message: string }) => e.message)).toEqual(['line 1', 'line 2']);
    expect(got.nextForwardToken).toMatch(/^f\//);
    const filtered = await cli('filter-log-events', '--log-group-name', '/berth/cli', '--filter-pattern', '"line 2"');
    expect(filtered.events.map((e: { message: string }) => e.message)).toEqual(['line 2']);
    const streams = await cli('describe-log-streams', '--log-group-name', '/berth/cli');
    expect(streams.logStreams).toEqual([
      expect.objectContaining({
        logStreamName: 'fam/app/0123',
        firstEventTimestamp: now,
        lastEventTimestamp: now + 1,
        arn: 'arn:aws:logs:us-east-1:123456789012:log-group:/berth/cli:log-stream:fam/app/0123',
      }),
    ]);
  });
});
