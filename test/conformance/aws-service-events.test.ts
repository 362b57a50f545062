/**
 * The AWS service events the local endpoint puts on its own default bus: ECS Task State Change from the local ECS
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html) and Step Functions Execution
 * Status Change from the local Step Functions
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html), driven through the
 * unmodified ECS and SFN SDK clients and read back through the EventBridge wire API (ListRecordedEvents, PutRule's
 * MatchedRules) and an in-process subscriber, as a rule's target would receive them.
 */
import { RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { localEcsServices } from '../../local/ecs/service';
import { eventBridgeService } from '../../local/events/service';
import { type EventBridgeEvent, EventSubscribers } from '../../local/events/subscribers';
import { inProcessInvoker } from '../../local/sfn/lambda-invoke';
import { sfnService } from '../../local/sfn/service';
import { DEFAULT_CONFIG, FAST, waitForTask } from './ecs-cluster';
import { ACCOUNT_ID, example, type LocalEndpoint, REGION, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EVENT_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const FARGATE_NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/berth-test`;

let endpoint: LocalEndpoint;
let sfn: SFNClient;
const subscribers = new EventSubscribers((line) => {
  throw new Error(`a subscriber failed: ${line}`);
});
const delivered: EventBridgeEvent[] = [];

beforeAll(async () => {
  const [ecs, admin] = localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST });
  endpoint = await startLocalEndpoint(tempStateDir(), {
    services: [
      ecs,
      admin,
      eventBridgeService({ subscribers, log: () => {} }),
      sfnService({
        invokeLambda: inProcessInvoker({}, { region: REGION, accountId: ACCOUNT_ID }),
        timeScale: 1e-5,
        ecsPollIntervalMs: 5,
      }),
    ],
  });
  sfn = new SFNClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  subscribers.onEvent({ source: ['aws.ecs', 'aws.states'] }, (event) => {
    delivered.push(event);
  });
});

afterAll(async () => {
  sfn.destroy();
  await endpoint.close();
});

async function events(operation: string, input: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSEvents.${operation}` },
    body: JSON.stringify(input),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new Error(`${operation} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

interface Recorded {
  MatchedRules: string[];
  Event: EventBridgeEvent;
}

async function recorded(source: string): Promise<Recorded[]> {
  const out: Recorded[] = [];
  let token: unknown;
  do {
    const page = await events('ListRecordedEvents', { Source: source, ...(token ? { NextToken: token } : {}) });
    out.push(...(page.Events as Recorded[]));
    token = page.NextToken;
  } while (token);
  return out;
}

/** Polls ListRecordedEvents until `done` holds for the events about `resource`; bounded by the test's timeout. */
async function eventsOf(source: string, resource: string, done: (events: Recorded[]) => boolean): Promise<Recorded[]> {
  for (;;) {
    const mine = (await recorded(source)).filter((r) => r.Event.resources.includes(resource));
    if (done(mine)) return mine;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const lastStatusIs = (status: string) => (list: Recorded[]) =>
  list.some((r) => (r.Event.detail as { lastStatus?: string }).lastStatus === status);

async function runFargateTask(family: string): Promise<string> {
  await endpoint.ecs.send(
    new RegisterTaskDefinitionCommand(
      example({ family, containerDefinitions: [{ name: 'main', image: 'someimage', memory: 100, cpu: 99 }] }) as never,
    ),
  );
  const out = await endpoint.ecs.send(
    new RunTaskCommand({
      taskDefinition: family,
      launchType: 'FARGATE',
      networkConfiguration: FARGATE_NETWORK,
      startedBy: 'run-123',
      group: 'family:berth',
    }),
  );
  return out.tasks![0]!.taskArn!;
}

function expectEnvelope(event: EventBridgeEvent, source: string, detailType: string, resource: string) {
  expect(event).toEqual({
    version: '0',
    id: expect.stringMatching(UUID),
    'detail-type': detailType,
    source,
    account: ACCOUNT_ID,
    time: expect.stringMatching(EVENT_TIME),
    region: REGION,
    resources: [resource],
    detail: expect.any(Object),
  });
}

describe('ECS Task State Change', () => {
  it('puts one event per change of a task, in AWS shape, versions increasing by one, in lifecycle order', async () => {
    const rule = await events('PutRule', {
      Name: 'ecs-stopped',
      EventPattern: JSON.stringify({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { lastStatus: ['STOPPED'], startedBy: ['run-123'] },
      }),
    });
    expect(rule.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/ecs-stopped`);
    const taskArn = await runFargateTask('events-lifecycle');
    const described = await waitForTask(endpoint.ecs, taskArn);
    const list = await eventsOf('aws.ecs', taskArn, lastStatusIs('STOPPED'));

    for (const { Event } of list) expectEnvelope(Event, 'aws.ecs', 'ECS Task State Change', taskArn);
    const details = list.map((r) => r.Event.detail as Record<string, unknown>);
    expect(details.map((d) => d.version)).toEqual(details.map((_, i) => i + 1));
    const statuses = details.map((d) => d.lastStatus).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    expect(statuses).toEqual(['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    expect(details.at(-1)!.version).toBe(described.version);

    const first = details[0]!;
    expect(first).toMatchObject({
      taskArn,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/default`,
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task-definition/events-lifecycle:1`,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      startedBy: 'run-123',
      group: 'family:berth',
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
      overrides: expect.any(Object),
      cpu: '256',
      memory: '512',
    });
    expect(first.startedAt).toBeUndefined();
    expect(first).not.toHaveProperty('healthStatus');

    const last = details.at(-1)!;
    expect(last).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      createdAt: expect.stringMatching(ISO),
      startedAt: expect.stringMatching(ISO),
      pullStartedAt: expect.stringMatching(ISO),
      pullStoppedAt: expect.stringMatching(ISO),
      stoppingAt: expect.stringMatching(ISO),
      executionStoppedAt: expect.stringMatching(ISO),
      stoppedAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(last.stoppedAt as string)).toBe(Math.round(described.stoppedAt!.getTime()));
    const containers = last.containers as Array<Record<string, unknown>>;
    expect(containers).toEqual([
      expect.objectContaining({
        name: 'main',
        taskArn,
        containerArn: expect.stringContaining(':container/'),
        lastStatus: 'STOPPED',
        exitCode: 0,
      }),
    ]);
    expect(containers[0]).not.toHaveProperty('healthStatus');
    // The updates are in time order too.
    const updated = details.map((d) => Date.parse(d.updatedAt as string));
    expect(updated).toEqual([...updated].sort((a, b) => a - b));

    // Only the STOPPED event matched the rule, and the subscriber got every event, in order.
    expect(list.filter((r) => r.MatchedRules.includes('ecs-stopped')).map((r) => r.Event.detail.lastStatus)).toEqual([
      'STOPPED',
    ]);
    const seen = delivered.filter((e) => e.resources[0] === taskArn).map((e) => e.detail.version);
    expect(seen).toEqual(details.map((d) => d.version));
  });

  it('says a stopped-by-user task stopped UserInitiated, with the reason', async () => {
    const family = 'events-stop';
    await endpoint.ecs.send(
      new RegisterTaskDefinitionCommand(
        example({
          family,
          containerDefinitions: [
            { name: 'sleeper', image: 'node', command: ['node', '-e', 'setTimeout(()=>{},60000)'], memory: 100 },
          ],
        }) as never,
      ),
    );
    const out = await endpoint.ecs.send(
      new RunTaskCommand({ taskDefinition: family, launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK }),
    );
    const taskArn = out.tasks![0]!.taskArn!;
    await waitForTask(endpoint.ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    await endpoint.ecs.send(new StopTaskCommand({ task: taskArn, reason: 'no longer needed' }));
    const list = await eventsOf('aws.ecs', taskArn, lastStatusIs('STOPPED'));
    const details = list.map((r) => r.Event.detail as Record<string, unknown>);
    expect(details.map((d) => d.version)).toEqual(details.map((_, i) => i + 1));
    const asked = details.find((d) => d.desiredStatus === 'STOPPED')!;
    expect(asked).toMatchObject({
      lastStatus: 'STOPPING',
      stopCode: 'UserInitiated',
      stoppedReason: 'no longer needed',
    });
    expect(details.at(-1)).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'UserInitiated' });
  });
});

describe('Step Functions Execution Status Change', () => {
  let machines = 0;
  async function machine(definition: unknown): Promise<string> {
    const out = await sfn.send(
      new CreateStateMachineCommand({
        name: `events-${++machines}`,
        definition: JSON.stringify(definition),
        roleArn: ROLE,
      }),
    );
    return out.stateMachineArn!;
  }

  async function statusEvents(executionArn: string, final: string): Promise<Array<Record<string, unknown>>> {
    const list = await eventsOf('aws.states', executionArn, (l) => l.some((r) => r.Event.detail.status === final));
    for (const { Event } of list) {
      expectEnvelope(Event, 'aws.states', 'Step Functions Execution Status Change', executionArn);
    }
    return list.map((r) => r.Event.detail as Record<string, unknown>);
  }

  it('puts RUNNING at the start and SUCCEEDED at the end, with the documented fields', async () => {
    const stateMachineArn = await machine({
      StartAt: 'Done',
      States: { Done: { Type: 'Pass', Result: { ok: 1 }, End: true } },
    });
    const { executionArn, startDate } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'succeeds', input: '{"a":1}' }),
    );
    const details = await statusEvents(executionArn!, 'SUCCEEDED');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(details).toEqual([
      {
        executionArn,
        stateMachineArn,
        name: 'succeeds',
        status: 'RUNNING',
        startDate: startDate!.getTime(),
        stopDate: null,
        input: '{"a":1}',
        output: null,
        inputDetails: { included: true },
        outputDetails: null,
        error: null,
        cause: null,
        redriveCount: 0,
        redriveDate: null,
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
      },
      expect.objectContaining({
        executionArn,
        status: 'SUCCEEDED',
        startDate: startDate!.getTime(),
        stopDate: described.stopDate!.getTime(),
        output: '{"ok":1}',
        outputDetails: { included: true },
        error: null,
        cause: null,
      }),
    ]);
  });

  it('says FAILED with the error and cause, and ABORTED for a stopped execution', async () => {
    const failing = await machine({
      StartAt: 'Fail',
      States: { Fail: { Type: 'Fail', Error: 'Oops', Cause: 'on purpose' } },
    });
    const failed = await sfn.send(new StartExecutionCommand({ stateMachineArn: failing, name: 'fails' }));
    const failedDetails = await statusEvents(failed.executionArn!, 'FAILED');
    expect(failedDetails.map((d) => d.status)).toEqual(['RUNNING', 'FAILED']);
    expect(failedDetails[1]).toMatchObject({ error: 'Oops', cause: 'on purpose', output: null, outputDetails: null });
    expect(typeof failedDetails[1]!.stopDate).toBe('number');

    const waiting = await machine({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e12, End: true } } });
    const held = await sfn.send(new StartExecutionCommand({ stateMachineArn: waiting, name: 'stopped' }));
    await sfn.send(new StopExecutionCommand({ executionArn: held.executionArn, error: 'Cancelled', cause: 'by test' }));
    const aborted = await statusEvents(held.executionArn!, 'ABORTED');
    expect(aborted.map((d) => d.status)).toEqual(['RUNNING', 'ABORTED']);
    expect(aborted[1]).toMatchObject({ error: 'Cancelled', cause: 'by test' });
  });

  it('says TIMED_OUT when the machine’s TimeoutSeconds is spent', async () => {
    const arn = await machine({
      TimeoutSeconds: 1,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 1e12, End: true } },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'times-out' }));
    const details = await statusEvents(executionArn!, 'TIMED_OUT');
    expect(details.map((d) => d.status)).toEqual(['RUNNING', 'TIMED_OUT']);
  });
});
