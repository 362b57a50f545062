/**
 * The local EventBridge (AWSEvents) against raw awsJson1_1 HTTP, as any client sends it, and the AWS CLI
 * (`aws events ... --endpoint-url`), as a user would run it. No EventBridge SDK client is installed.
 * Shapes follow https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html and the rule
 * operations' pages; limits https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html.
 */
import { eventBridgeService } from '../../local/events/service';
import { EventSubscribers } from '../../local/events/subscribers';
import { awsCli } from './aws-cli';
import { ACCOUNT_ID, type LocalEndpoint, REGION, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Reply {
  status: number;
  contentType: string | null;
  body: Record<string, unknown> & { __type?: string; message?: string };
}

let endpoint: LocalEndpoint;
let subscribers: EventSubscribers;
let stateDir: string;
const logLines: string[] = [];
const subscriberFailures: string[] = [];

async function start() {
  subscribers = new EventSubscribers((line) => subscriberFailures.push(line));
  endpoint = await startLocalEndpoint(stateDir, {
    services: [eventBridgeService({ subscribers, log: (line) => logLines.push(line) })],
  });
}

async function call(operation: string, input: unknown): Promise<Reply> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` },
    body: typeof input === 'string' ? input : JSON.stringify(input),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as Reply['body'],
  };
}

async function ok(operation: string, input: unknown): Promise<Record<string, unknown>> {
  const reply = await call(operation, input);
  if (reply.status !== 200) throw new Error(`${operation} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

function entry(overrides: Record<string, unknown> = {}) {
  return { Source: 'berth', DetailType: 'Run Succeeded', Detail: JSON.stringify({ runId: 'r-1' }), ...overrides };
}

const aws = (...args: string[]) => awsCli('events', endpoint.url, ...args);

beforeAll(async () => {
  stateDir = tempStateDir();
  await start();
});

afterAll(async () => {
  await endpoint?.close();
});

describe('PutEvents', () => {
  it('records valid entries and fails the others entry by entry, in AWS shape', async () => {
    const reply = await call('PutEvents', {
      Entries: [
        entry({ Resources: ['arn:aws:ecs:us-east-1:123456789012:task/default/abc'], Time: 1_700_000_000 }),
        entry({ Source: undefined }),
        entry({ DetailType: '' }),
        entry({ Detail: undefined }),
        entry({ Detail: 'not json' }),
        entry({ Detail: '[1, 2]' }),
        entry({ Source: 'aws.ec2' }),
        entry({ EventBusName: 'orders' }),
        entry({ EventBusName: `arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/default` }),
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/x-amz-json-1.1');
    expect(reply.body.FailedEntryCount).toBe(7);
    const entries = reply.body.Entries as Array<Record<string, string>>;
    expect(entries[0]).toEqual({ EventId: expect.stringMatching(UUID) });
    expect(entries.slice(1, 8)).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus orders does not exist.' },
    ]);
    expect(entries[8]).toEqual({ EventId: expect.stringMatching(UUID) });

    const recorded = await ok('ListRecordedEvents', {});
    const first = (recorded.Events as Array<Record<string, unknown>>).find((e) => e.EventId === entries[0]!.EventId);
    expect(first).toMatchObject({
      EventBusName: 'default',
      MatchedRules: [],
      Event: {
        version: '0',
        id: entries[0]!.EventId,
        'detail-type': 'Run Succeeded',
        source: 'berth',
        account: ACCOUNT_ID,
        time: '2023-11-14T22:13:20Z',
        region: REGION,
        resources: ['arn:aws:ecs:us-east-1:123456789012:task/default/abc'],
        detail: { runId: 'r-1' },
      },
    });
    expect(logLines).toContainEqual(expect.stringContaining(`EventBridge event ${entries[0]!.EventId} on default`));
  });

  it('refuses the whole request for the wrong number of entries', async () => {
    const [none, empty, eleven] = await Promise.all([
      call('PutEvents', {}),
      call('PutEvents', { Entries: [] }),
      call('PutEvents', { Entries: Array.from({ length: 11 }, () => entry()) }),
    ]);
    for (const reply of [none, empty, eleven]) {
      expect(reply.status).toBe(400);
      expect(reply.body.__type).toBe('ValidationException');
    }
    expect(none.body.message).toBe(
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
    );
    expect(eleven.body.message).toContain('Member must have length less than or equal to 10');
  });

  it('counts the entries as AWS does against the 256 KB limit', async () => {
    const overhead = Buffer.byteLength('berth') + Buffer.byteLength('Big') + Buffer.byteLength('{"x":""}');
    const atLimit = entry({ DetailType: 'Big', Detail: JSON.stringify({ x: 'a'.repeat(256 * 1024 - overhead) }) });
    const overLimit = entry({
      DetailType: 'Big',
      Detail: JSON.stringify({ x: 'a'.repeat(256 * 1024 - overhead + 1) }),
    });
    const [fits, tooBig, withTime] = await Promise.all([
      call('PutEvents', { Entries: [atLimit] }),
      call('PutEvents', { Entries: [overLimit] }),
      // Time counts 14 bytes: the entry that fitted no longer does.
      call('PutEvents', { Entries: [{ ...atLimit, Time: 1_700_000_000 }] }),
    ]);
    expect(fits.status).toBe(200);
    expect(fits.body.FailedEntryCount).toBe(0);
    for (const reply of [tooBig, withTime]) {
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        __type: 'ValidationException',
        message: 'Total size of the entries in the request is over the limit.',
      });
    }
  });

  it('answers SerializationException for members of the wrong JSON type', async () => {
    const replies = await Promise.all([
      call('PutEvents', { Entries: 'x' }),
      call('PutEvents', { Entries: [entry({ Source: 5 })] }),
      call('PutEvents', { Entries: [entry({ Resources: 'arn' })] }),
      call('PutEvents', { Entries: [entry({ Time: '2024-01-01' })] }),
    ]);
    for (const reply of replies) {
      expect(reply.status).toBe(400);
      expect(reply.body.__type).toBe('SerializationException');
    }
  });
});

describe('rules', () => {
  it('puts, describes, lists, pages and deletes rules', async () => {
    const pattern = JSON.stringify({ source: ['berth'], 'detail-type': [{ prefix: 'Run F' }] });
    const put = await ok('PutRule', { Name: 'run-failed', EventPattern: pattern, Description: 'failed runs' });
    expect(put).toEqual({ RuleArn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/run-failed` });
    await ok('PutRule', { Name: 'all-berth', EventPattern: '{"source":["berth"]}', State: 'DISABLED' });

    expect(await ok('DescribeRule', { Name: 'run-failed' })).toEqual({
      Name: 'run-failed',
      Arn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/run-failed`,
      EventPattern: pattern,
      State: 'ENABLED',
      Description: 'failed runs',
      EventBusName: 'default',
      CreatedBy: ACCOUNT_ID,
    });

    const firstPage = await ok('ListRules', { Limit: 1 });
    expect((firstPage.Rules as Array<{ Name: string }>).map((r) => r.Name)).toEqual(['all-berth']);
    expect(firstPage.NextToken).toEqual(expect.any(String));
    const secondPage = await ok('ListRules', { Limit: 1, NextToken: firstPage.NextToken });
    expect((secondPage.Rules as Array<{ Name: string }>).map((r) => r.Name)).toEqual(['run-failed']);
    expect(secondPage.NextToken).toBeUndefined();
    expect((await ok('ListRules', { NamePrefix: 'run' })).Rules).toHaveLength(1);

    await ok('DeleteRule', { Name: 'all-berth' });
    await ok('DeleteRule', { Name: 'all-berth' }); // deleting a rule that is gone succeeds
    const gone = await call('DescribeRule', { Name: 'all-berth' });
    expect(gone.status).toBe(400);
    expect(gone.body).toEqual({
      __type: 'ResourceNotFoundException',
      message: 'Rule all-berth does not exist on EventBus default.',
    });
  });

  it('refuses bad rules with EventBridge exceptions', async () => {
    const [badPattern, noPattern, badName, badState, schedule, otherBus] = await Promise.all([
      call('PutRule', { Name: 'r', EventPattern: '{"source": []}' }),
      call('PutRule', { Name: 'r' }),
      call('PutRule', { Name: 'has space', EventPattern: '{"source":["a"]}' }),
      call('PutRule', { Name: 'r', EventPattern: '{"source":["a"]}', State: 'ON' }),
      call('PutRule', { Name: 'r', ScheduleExpression: 'rate(1 minute)' }),
      call('PutRule', { Name: 'r', EventPattern: '{"source":["a"]}', EventBusName: 'orders' }),
    ]);
    expect(badPattern.body).toEqual({
      __type: 'InvalidEventPatternException',
      message: 'Event pattern is not valid. Reason: Empty arrays are not allowed',
    });
    expect(noPattern.body).toEqual({
      __type: 'ValidationException',
      message: 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
    });
    expect(badName.body.__type).toBe('ValidationException');
    expect(badName.body.message).toContain("at 'name' failed to satisfy constraint");
    expect(badState.body.__type).toBe('ValidationException');
    expect(schedule.body.__type).toBe('ValidationException');
    expect(otherBus.body).toEqual({ __type: 'ResourceNotFoundException', message: 'Event bus orders does not exist.' });
    for (const reply of [badPattern, noPattern, badName, badState, schedule, otherBus]) expect(reply.status).toBe(400);
  });

  it('records which enabled rules each event matched', async () => {
    await ok('PutRule', {
      Name: 'timed-out',
      EventPattern: '{"detail-type":["Run Timed Out"],"detail":{"attempts":[{"numeric":[">=",2]}]}}',
    });
    await ok('PutRule', { Name: 'disabled', EventPattern: '{"source":["matching.test"]}', State: 'DISABLED' });
    const put = await ok('PutEvents', {
      Entries: [
        entry({ Source: 'matching.test', DetailType: 'Run Timed Out', Detail: '{"attempts": 3}' }),
        entry({ Source: 'matching.test', DetailType: 'Run Timed Out', Detail: '{"attempts": 1}' }),
      ],
    });
    const ids = (put.Entries as Array<{ EventId: string }>).map((e) => e.EventId);
    const listed = await ok('ListRecordedEvents', { Source: 'matching.test' });
    expect((listed.Events as Array<Record<string, unknown>>).map((e) => [e.EventId, e.MatchedRules])).toEqual([
      [ids[0], ['timed-out']],
      [ids[1], []],
    ]);
    expect(logLines).toContainEqual(expect.stringMatching(new RegExp(`${ids[0]} on default: .* rules=timed-out$`)));
  });
});

describe('TestEventPattern', () => {
  const event = JSON.stringify({
    id: '1',
    account: ACCOUNT_ID,
    source: 'berth',
    time: '2024-01-01T00:00:00Z',
    region: REGION,
    resources: [],
    'detail-type': 'Run Failed',
    detail: { exitCode: 3 },
  });

  it('matches with the same engine as rules', async () => {
    const [yes, no, bad, incomplete] = await Promise.all([
      call('TestEventPattern', { EventPattern: '{"detail":{"exitCode":[{"numeric":[">",0]}]}}', Event: event }),
      call('TestEventPattern', { EventPattern: '{"detail":{"exitCode":[0]}}', Event: event }),
      call('TestEventPattern', { EventPattern: '{"detail":{"exitCode":[{"numeric":["!",0]}]}}', Event: event }),
      call('TestEventPattern', { EventPattern: '{"source":["berth"]}', Event: '{"source":"berth"}' }),
    ]);
    expect(yes.body).toEqual({ Result: true });
    expect(no.body).toEqual({ Result: false });
    expect(bad.body).toEqual({
      __type: 'InvalidEventPatternException',
      message: 'Event pattern is not valid. Reason: Unrecognized numeric range operator: !',
    });
    expect(incomplete.body.__type).toBe('ValidationException');
  });
});

describe('subscribers', () => {
  it('calls matching handlers after the event is recorded; a failing handler fails nothing', async () => {
    const received: unknown[] = [];
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => {
      resolveSeen = resolve;
    });
    const unsubscribeFailing = subscribers.onEvent(
      { source: ['subscriber.test'] },
      () => {
        throw new Error('handler broke');
      },
      'failing',
    );
    const unsubscribe = subscribers.onEvent(
      { source: ['subscriber.test'], detail: { n: [{ numeric: ['>', 1] }] } },
      (event) => {
        received.push(event);
        resolveSeen();
      },
    );
    try {
      const put = await ok('PutEvents', {
        Entries: [
          entry({ Source: 'subscriber.test', Detail: '{"n": 1}' }),
          entry({ Source: 'subscriber.test', Detail: '{"n": 2}' }),
        ],
      });
      expect(put.FailedEntryCount).toBe(0);
      await seen;
      const ids = (put.Entries as Array<{ EventId: string }>).map((e) => e.EventId);
      expect(received).toEqual([expect.objectContaining({ id: ids[1], source: 'subscriber.test', detail: { n: 2 } })]);
      expect(subscriberFailures).toEqual([
        expect.stringContaining(`EventBridge subscriber failing failed on event ${ids[0]}: Error: handler broke`),
        expect.stringContaining(`EventBridge subscriber failing failed on event ${ids[1]}: Error: handler broke`),
      ]);
    } finally {
      unsubscribe();
      unsubscribeFailing();
    }
    expect(subscribers.size).toBe(0);
    expect(() => subscribers.onEvent({ source: [] }, () => {})).toThrow(
      'Event pattern is not valid. Reason: Empty arrays are not allowed',
    );
  });
});

describe('the AWS CLI', () => {
  it('puts events, tests patterns and reads errors like against AWS', async () => {
    const [put, tested, badRule] = await Promise.all([
      aws(
        'put-events',
        '--entries',
        JSON.stringify([{ Source: 'cli.test', DetailType: 'Object Created', Detail: '{"key":"uploads/a.csv"}' }]),
      ),
      aws(
        'test-event-pattern',
        '--event-pattern',
        '{"detail":{"key":[{"wildcard":"uploads/*.csv"}]}}',
        '--event',
        JSON.stringify({
          id: '1',
          account: ACCOUNT_ID,
          source: 'cli.test',
          time: '2024-01-01T00:00:00Z',
          region: REGION,
          resources: [],
          'detail-type': 'Object Created',
          detail: { key: 'uploads/a.csv' },
        }),
      ),
      aws('put-rule', '--name', 'bad', '--event-pattern', '{"detail":{"key":"a"}}'),
    ]);
    expect(put.code).toBe(0);
    const output = JSON.parse(put.stdout);
    expect(output).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: expect.stringMatching(UUID) }] });
    expect(JSON.parse(tested.stdout)).toEqual({ Result: true });
    expect(badRule.code).not.toBe(0);
    expect(badRule.stderr).toContain(
      'An error occurred (InvalidEventPatternException) when calling the PutRule operation: Event pattern is not valid. Reason: "key" must be an object or an array',
    );
    const recorded = await ok('ListRecordedEvents', { Source: 'cli.test' });
    expect(recorded.Events).toEqual([
      expect.objectContaining({
        EventId: output.Entries[0].EventId,
        Event: expect.objectContaining({ detail: { key: 'uploads/a.csv' } }),
      }),
    ]);
  });
});

describe('state', () => {
  it('pages recorded events and keeps them and the rules across a restart', async () => {
    await ok('PutEvents', {
      Entries: [1, 2, 3].map((n) => entry({ Source: 'paging.test', Detail: JSON.stringify({ n }) })),
    });
    const first = await ok('ListRecordedEvents', { Source: 'paging.test', MaxResults: 2 });
    expect((first.Events as Array<{ Event: { detail: unknown } }>).map((e) => e.Event.detail)).toEqual([
      { n: 1 },
      { n: 2 },
    ]);
    const second = await ok('ListRecordedEvents', { Source: 'paging.test', MaxResults: 2, NextToken: first.NextToken });
    expect((second.Events as Array<{ Event: { detail: unknown } }>).map((e) => e.Event.detail)).toEqual([{ n: 3 }]);
    expect(second.NextToken).toBeUndefined();
    const [badToken, badMax] = await Promise.all([
      call('ListRecordedEvents', { NextToken: '!!' }),
      call('ListRecordedEvents', { MaxResults: 0 }),
    ]);
    expect(badToken.body.__type).toBe('ValidationException');
    expect(badMax.body.__type).toBe('ValidationException');

    const before = await ok('ListRecordedEvents', {});
    await endpoint.close();
    await start();
    const after = await ok('ListRecordedEvents', {});
    expect(after.Events).toEqual(before.Events);
    expect((await ok('DescribeRule', { Name: 'run-failed' })).Name).toBe('run-failed');
    const next = await ok('PutEvents', { Entries: [entry({ Source: 'paging.test' })] });
    const all = await ok('ListRecordedEvents', { Source: 'paging.test' });
    expect((all.Events as Array<{ EventId: string }>).at(-1)!.EventId).toBe(
      (next.Entries as Array<{ EventId: string }>)[0]!.EventId,
    );
  });

  it('fails an operation it does not implement loudly', async () => {
    const reply = await call('CreateEventBus', { Name: 'orders' });
    expect(reply.status).toBe(400);
    expect(reply.body.__type).toBe('UnknownOperationException');
  });
});
