/**
 * functions/record-run-event.ts through its middy stack: ECS Task State Change and Step Functions Execution Status
 * Change events, repeated and out of order, against the mocked runs table.
 */
import './env';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { parse } from 'yaml';
import { handler } from '../../../functions/record-run-event';
import { compileEventPattern, matchesEventPattern } from '../../../lib/events/pattern';
import type { RunRecord } from '../../../lib/runs/record';
import { runView } from '../../../lib/runs/record';
import {
  EXECUTION_STATUS_CHANGE,
  executionStatusChangePattern,
  parseTaskGroup,
  taskStateChangePattern,
} from '../../../lib/runs/record-events';
import { newRecord } from '../../../lib/runs/record-updates';
import { STATE_MACHINE_ARN } from './env';
import { ddb, resetTable, table } from './memory-table';

// biome-ignore lint/suspicious/noExplicitAny: table items are asserted on, not typed.
type Json = any;
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const context = { awsRequestId: 'req-1', functionName: 'berth-test-recordRunEvent' } as Context;
const RUN = '4b0c7a53-4d6e-4b9a-9d1e-0f7f3c1f2a10';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

beforeEach(() => {
  resetTable();
  sfn.reset();
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] });
  const record = newRecord({
    runId: RUN,
    family: 'sleep',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/sleep:1',
    cluster: 'default',
    trigger: { type: 'api' },
    request: {},
    executionInput: {},
    createdAt: new Date('2026-12-07T15:00:00Z'),
    retentionDays: 400,
  });
  table.set(RUN, JSON.parse(JSON.stringify(record)));
});

/** An ECS Task State Change as EventBridge delivers it (detail: the task, camelCase, with its version). */
const taskEvent = (
  lastStatus: string,
  version: number,
  extra: Record<string, unknown> = {},
  group = `berth:${RUN}:1`,
) => ({
  version: '0',
  id: `ecs-${lastStatus}-${version}`,
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '123456789012',
  time: '2026-12-07T15:00:06Z',
  region: 'us-east-1',
  resources: [TASK],
  detail: {
    taskArn: TASK,
    clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
    lastStatus,
    desiredStatus: lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
    version,
    group,
    startedBy: RUN,
    containers: [{ name: 'main', lastStatus }],
    ...extra,
  },
});
const RUNNING = taskEvent('RUNNING', 2, { startedAt: '2026-12-07T15:00:05.123Z' });
const STOPPED = taskEvent('STOPPED', 3, {
  startedAt: '2026-12-07T15:00:05.123Z',
  stoppedAt: '2026-12-07T15:00:25Z',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'main', lastStatus: 'STOPPED', exitCode: 0 }],
});
const executionEvent = (status: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: `sfn-${status}`,
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  time: '2026-12-07T15:00:26Z',
  detail: {
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${RUN}`,
    stateMachineArn: STATE_MACHINE_ARN,
    name: RUN,
    status,
    startDate: 1_796_655_600_000,
    stopDate: Date.parse('2026-12-07T15:00:26Z'),
    ...extra,
  },
});

const record = () => table.get(RUN) as RunRecord;
const deliver = async (...events: unknown[]) => {
  for (const event of events) await handler(event, context);
};

describe('ECS Task State Change', () => {
  it('RUNNING makes the run RUNNING with the task ARN and startedAt, before any workflow state knows it', async () => {
    await deliver(RUNNING);
    expect(runView(record())).toMatchObject({
      status: 'RUNNING',
      startedAt: '2026-12-07T15:00:05.123Z',
      attempts: [{ attempt: 1, taskArns: [TASK], startedAt: '2026-12-07T15:00:05.123Z', outcome: 'RUNNING' }],
    });
  });

  it.each([
    ['in order', [RUNNING, STOPPED], 2],
    ['STOPPED first', [STOPPED, RUNNING], 1],
    ['each twice', [RUNNING, STOPPED, STOPPED, RUNNING], 2],
  ])('records STOPPED with exit codes, stop code and reason whatever the order: %s', async (_name, events, writes) => {
    await deliver(...events);
    expect(record().attempts[0]?.tasks).toEqual([
      {
        taskArn: TASK,
        lastStatus: 'STOPPED',
        version: 3,
        startedAt: '2026-12-07T15:00:05.123Z',
        stoppedAt: '2026-12-07T15:00:25.000Z',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'main', exitCode: 0 }],
      },
    ]);
    // One write per event that moved the task forward, none for the rest.
    expect(record().version).toBe(1 + writes);
  });

  it('reads again and reapplies when another writer wrote between its read and its write', async () => {
    // Another writer (Check Capacity, say) bumps the version just before this write lands.
    let raced = false;
    ddb
      .on(PutCommand)
      .callsFake((input: { Item: Json; ConditionExpression: string; ExpressionAttributeValues: Json }) => {
        const current = table.get(RUN) as Json;
        if (!raced) {
          raced = true;
          table.set(RUN, {
            ...current,
            version: current.version + 1,
            capacity: { checkedAt: '2026-12-07T15:00:01Z', fits: true, placeableCount: 1, instanceCount: 3 },
          });
        }
        if (table.get(RUN)?.version !== input.ExpressionAttributeValues[':read']) {
          throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        }
        table.set(RUN, input.Item);
        return {};
      });
    // The other writer has written by the time the race is lost: the first read again waits for no timer.
    const timers = jest.spyOn(global, 'setTimeout');
    try {
      await deliver(RUNNING);
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
    expect(record()).toMatchObject({ status: 'RUNNING', version: 3, capacity: { fits: true } });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(2);
  });

  it('files a task under the attempt its group names', async () => {
    await deliver(taskEvent('RUNNING', 2, {}, `berth:${RUN}:2`));
    expect(record()).toMatchObject({ status: 'RUNNING', attempt: 2, attempts: [{ attempt: 2 }] });
  });

  it('ignores tasks Berth did not start, and runs it has no record of', async () => {
    await deliver(taskEvent('RUNNING', 2, {}, 'family:sleep'), taskEvent('RUNNING', 2, {}, 'berth:other-run:1'));
    expect(record().status).toBe('PENDING');
    expect(ddb.calls().filter((c) => c.args[0].constructor.name === 'PutCommand')).toHaveLength(0);
  });

  it('reads the group', () => {
    expect(parseTaskGroup(`berth:${RUN}:12`)).toEqual({ runId: RUN, attempt: 12 });
    expect(parseTaskGroup(`berth:${RUN}`)).toEqual({ runId: RUN });
    expect(parseTaskGroup('family:x')).toBeUndefined();
    expect(parseTaskGroup(undefined)).toBeUndefined();
  });
});

describe('Step Functions Execution Status Change', () => {
  it.each<[string, Record<string, unknown>, string, { code: string; message: string } | undefined]>([
    ['SUCCEEDED', { output: '{}' }, 'SUCCEEDED', undefined],
    [
      'ABORTED',
      { error: 'Berth.Cancelled', cause: 'Run was cancelled.' },
      'CANCELLED',
      { code: 'Berth.Cancelled', message: 'Run was cancelled.' },
    ],
    [
      'FAILED',
      { error: 'TaskTimedOut', cause: 'The attempt timed out.' },
      'TIMED_OUT',
      { code: 'TaskTimedOut', message: 'The attempt timed out.' },
    ],
    [
      'FAILED',
      { error: 'Sandbox.Timedout', cause: '{"errorMessage":"Task timed out after 10.00 seconds"}' },
      'FAILED',
      { code: 'Sandbox.Timedout', message: 'Task timed out after 10.00 seconds' },
    ],
    [
      'TIMED_OUT',
      { error: 'States.Timeout', cause: '' },
      'TIMED_OUT',
      { code: 'States.Timeout', message: 'The run exceeded its time limit.' },
    ],
  ])('%s %j ends the run %s', async (status, extra, runStatus, error) => {
    await deliver(RUNNING, executionEvent(status, extra));
    expect(record()).toMatchObject({
      status: runStatus,
      stoppedAt: '2026-12-07T15:00:26.000Z',
      terminalSource: 'execution',
    });
    expect(record().error).toEqual(error);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("fills the last attempt's task from the succeeded execution's output when its STOPPED event was lost", async () => {
    const output = JSON.stringify({
      check: { attempt: 1 },
      task: {
        TaskArn: TASK,
        LastStatus: 'STOPPED',
        StartedAt: 1_796_655_605_123,
        StoppedAt: 1_796_655_625_000,
        StopCode: 'EssentialContainerExited',
        StoppedReason: 'Essential container in task exited',
        Containers: [{ Name: 'main', ExitCode: 0 }],
      },
    });
    await deliver(RUNNING, executionEvent('SUCCEEDED', { output }));
    expect(runView(record()).attempts).toEqual([
      expect.objectContaining({
        taskArns: [TASK],
        stopCode: 'EssentialContainerExited',
        containers: [{ name: 'main', exitCode: 0 }],
        outcome: 'SUCCEEDED',
      }),
    ]);
    // A STOPPED event that comes after all the same (version 3 > the output's 0) changes nothing of substance.
    await deliver(STOPPED);
    expect(record().attempts[0]?.tasks[0]).toMatchObject({ version: 3, containers: [{ name: 'main', exitCode: 0 }] });
  });

  it('reads the output from the execution when the event leaves it out', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'SUCCEEDED',
      output: JSON.stringify({
        check: { attempt: 1 },
        task: { TaskArn: TASK, Containers: [{ Name: 'main', ExitCode: 0 }] },
      }),
      startDate: new Date(),
      stateMachineArn: STATE_MACHINE_ARN,
      executionArn: 'x',
    });
    await deliver(executionEvent('SUCCEEDED'));
    expect(record()).toMatchObject({
      status: 'SUCCEEDED',
      attempts: [{ tasks: [{ taskArn: TASK, lastStatus: 'STOPPED' }] }],
    });
  });

  it('asks the execution why it ended when the event does not say', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      status: 'FAILED',
      error: 'InsufficientCapacity',
      cause: '1 of 1 task does not fit.',
      startDate: new Date(),
      stateMachineArn: STATE_MACHINE_ARN,
      executionArn: 'x',
    });
    await deliver(executionEvent('FAILED'));
    expect(record()).toMatchObject({
      status: 'FAILED',
      error: { code: 'InsufficientCapacity', message: '1 of 1 task does not fit.' },
    });
  });

  it('a late task event after the end changes the task, not the status', async () => {
    await deliver(RUNNING, executionEvent('SUCCEEDED', { output: '{}' }), STOPPED, RUNNING);
    expect(runView(record())).toMatchObject({
      status: 'SUCCEEDED',
      attempts: [{ outcome: 'SUCCEEDED', containers: [{ name: 'main', exitCode: 0 }] }],
    });
  });

  it('ignores other state machines and statuses that do not end a run', async () => {
    await deliver(
      {
        ...executionEvent('SUCCEEDED'),
        detail: {
          ...executionEvent('SUCCEEDED').detail,
          stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:other',
        },
      },
      executionEvent('RUNNING'),
    );
    expect(record().status).toBe('PENDING');
  });

  it('answers an event that is not valid without throwing (a redelivery would be refused again)', async () => {
    const result = await handler({ 'detail-type': 'ECS Task State Change', source: 'aws.ecs', detail: {} }, context);
    expect(result).toMatchObject({ refused: true, status: 400 });
  });
});

describe('the task rule', () => {
  const pattern = compileEventPattern(taskStateChangePattern());
  const change = (lastStatus: string, desiredStatus: string, containers: string[], group = 'berth:run-1:1') => ({
    source: 'aws.ecs',
    'detail-type': 'ECS Task State Change',
    detail: {
      group,
      lastStatus,
      desiredStatus,
      taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/default/t1',
      containers: containers.map((status, i) => ({ name: `c${i}`, lastStatus: status })),
    },
  });
  const delivered = (lifecycle: [string, string, string[]][]) =>
    lifecycle.filter(([last, desired, containers]) => matchesEventPattern(pattern, change(last, desired, containers)));

  it("delivers a Berth task's start and its end, and no change in between", () => {
    expect(
      delivered([
        ['PROVISIONING', 'RUNNING', ['PENDING']],
        ['PENDING', 'RUNNING', ['PENDING']],
        ['RUNNING', 'RUNNING', ['RUNNING']],
        ['RUNNING', 'RUNNING', ['STOPPED']], // its container exited
        ['RUNNING', 'STOPPED', ['STOPPED']], // so the task is to stop
        ['DEPROVISIONING', 'STOPPED', ['STOPPED']],
        ['STOPPED', 'STOPPED', ['STOPPED']],
      ]),
    ).toEqual([
      ['RUNNING', 'RUNNING', ['RUNNING']],
      ['STOPPED', 'STOPPED', ['STOPPED']],
    ]);
  });

  it('delivers a task of several containers while any runs, and not once StopTask has begun its stop', () => {
    expect(
      delivered([
        ['RUNNING', 'RUNNING', ['RUNNING', 'RUNNING']],
        ['RUNNING', 'RUNNING', ['STOPPED', 'RUNNING']], // a non-essential container exited
        ['RUNNING', 'STOPPED', ['RUNNING', 'RUNNING']], // StopTask
        ['STOPPED', 'STOPPED', ['STOPPED', 'STOPPED']],
      ]),
    ).toEqual([
      ['RUNNING', 'RUNNING', ['RUNNING', 'RUNNING']],
      ['RUNNING', 'RUNNING', ['STOPPED', 'RUNNING']],
      ['STOPPED', 'STOPPED', ['STOPPED', 'STOPPED']],
    ]);
  });

  it('delivers the end of a task stopped before it ran, and nothing of tasks Berth did not start', () => {
    expect(matchesEventPattern(pattern, change('STOPPED', 'STOPPED', ['PENDING']))).toBe(true);
    expect(matchesEventPattern(pattern, change('RUNNING', 'RUNNING', ['RUNNING'], 'service:web'))).toBe(false);
    expect(matchesEventPattern(pattern, change('STOPPED', 'STOPPED', ['STOPPED'], 'family:x'))).toBe(false);
  });
});

describe('the run event', () => {
  const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${RUN}`;
  const putEntries = () => events.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0]);

  it("goes out once the record says how the run ended, its detail the record's view (GET /runs/{runId})", async () => {
    await deliver(RUNNING, STOPPED);
    expect(putEntries()).toEqual([]);
    await deliver(executionEvent('SUCCEEDED', { output: '{}' }));
    expect(putEntries()).toEqual([
      {
        Source: 'berth',
        DetailType: 'Run Succeeded',
        Detail: JSON.stringify(runView(record())),
        Resources: [EXECUTION_ARN],
        EventBusName: 'default',
        Time: new Date('2026-12-07T15:00:26.000Z'),
      },
    ]);
    expect(JSON.parse(putEntries()[0]?.Detail ?? '')).toMatchObject({
      runId: RUN,
      status: 'SUCCEEDED',
      attempts: [{ outcome: 'SUCCEEDED', containers: [{ name: 'main', exitCode: 0 }] }],
    });
  });

  it.each([
    ['ABORTED', { error: 'Berth.Cancelled', cause: 'Run was cancelled.' }, 'Run Cancelled'],
    ['FAILED', { error: 'States.TaskFailed', cause: 'exit 1' }, 'Run Failed'],
    ['TIMED_OUT', { error: 'States.Timeout' }, 'Run Timed Out'],
  ])('an execution %s puts %s', async (status, extra, detailType) => {
    await deliver(RUNNING, executionEvent(status, extra));
    expect(putEntries()).toEqual([expect.objectContaining({ DetailType: detailType })]);
  });

  it('goes out again when the end is delivered again (the first put may have failed after the write)', async () => {
    await deliver(executionEvent('SUCCEEDED', { output: '{}' }), executionEvent('SUCCEEDED', { output: '{}' }));
    expect(putEntries()).toHaveLength(2);
    expect(putEntries()[1]).toEqual(putEntries()[0]);
  });

  it('fails the invocation when PutEvents refuses it, so EventBridge delivers the end again', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-2' }] });
    await expect(handler(executionEvent('SUCCEEDED', { output: '{}' }), context)).rejects.toThrow(
      'PutEvents refused the run event',
    );
    // The record was written first; the redelivery finds it unchanged and puts the event.
    expect(record().status).toBe('SUCCEEDED');
    await deliver(executionEvent('SUCCEEDED', { output: '{}' }));
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});

describe('the execution rule', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:berth-dev-run-task';
  const event = (status: string, stateMachineArn = arn) => ({
    source: 'aws.states',
    'detail-type': EXECUTION_STATUS_CHANGE,
    detail: { stateMachineArn, status },
  });
  const pattern = compileEventPattern(executionStatusChangePattern(arn));

  it.each(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])('delivers an execution that ended %s', (status) => {
    expect(matchesEventPattern(pattern, event(status))).toBe(true);
  });

  it('skips a running execution and other state machines', () => {
    expect(matchesEventPattern(pattern, event('RUNNING'))).toBe(false);
    expect(matchesEventPattern(pattern, event('FAILED', `${arn}-other`))).toBe(false);
  });
});

describe('the rules in serverless.yml', () => {
  it('match what the code expects: Berth task groups, and the ends of the run-task state machine', () => {
    const yml = parse(readFileSync(path.join(__dirname, '../../../serverless.yml'), 'utf8'));
    const events = yml.functions.recordRunEvent.events.map(
      (e: { eventBridge: { pattern: unknown } }) => e.eventBridge.pattern,
    );
    expect(events[0]).toEqual(taskStateChangePattern());
    // The stage param that holds the state machine's ARN, as serverless.yml writes a variable.
    const param = (name: string) => `\${param:${name}}`;
    expect(events[1]).toEqual(executionStatusChangePattern(param('runTaskStateMachineArn')));
  });
});
