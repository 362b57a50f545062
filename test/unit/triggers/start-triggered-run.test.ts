/**
 * The trigger Lambda end to end through its middy stack, with ECS and Step Functions mocked: the payloads the
 * schedules and rules send (lib/triggers/targets.ts), the run it starts, and what it refuses without retrying.
 */
import '../runs/env';
import {
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/start-triggered-run';
import type { ExecutionInput } from '../../../lib/runs/types';
import type { EventTrigger, ScheduleTrigger } from '../../../lib/triggers/config';
import { firingKey, TriggerInvocationSchema } from '../../../lib/triggers/start-triggered-run';
import { eventInvocation, scheduleInvocation, targetInput, targetInputProblem } from '../../../lib/triggers/targets';
import { context } from '../api/event';
import { resetTable, table } from '../runs/memory-table';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/ingest:3';

const taskDefinition = {
  taskDefinitionArn: TD_ARN,
  family: 'ingest',
  revision: 3,
  status: 'ACTIVE',
  networkMode: 'bridge',
  compatibilities: ['EC2'],
  containerDefinitions: [{ name: 'ingest', image: 'ingest', memory: 128 }],
} as TaskDefinition;

const upload: EventTrigger = {
  type: 'event',
  name: 'on-upload',
  enabled: true,
  pattern: { source: ['uploads'] },
  run: {
    taskDefinition: 'ingest',
    overrides: {
      containerOverrides: [{ name: 'ingest', environment: [{ name: 'KEY', value: { $event: '$.detail.key' } }] }],
    },
  },
};
const nightly: ScheduleTrigger = {
  type: 'schedule',
  name: 'nightly',
  enabled: true,
  expression: 'rate(1 day)',
  run: { taskDefinition: 'ingest' },
};
const event = (detail: Record<string, unknown>, id = 'e7f3c2a1-0000-4000-8000-000000000001') => ({
  version: '0',
  id,
  'detail-type': 'Object Created',
  source: 'uploads',
  account: '123456789012',
  time: '2024-05-01T10:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});
const invoke = (payload: string) => handler(JSON.parse(payload), context);
const startedInput = (i = 0): ExecutionInput =>
  JSON.parse(sfn.commandCalls(StartExecutionCommand)[i]?.args[0].input.input ?? '{}') as ExecutionInput;

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition });
  ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'default', status: 'ACTIVE' }] });
  resetTable();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});

describe('target inputs', () => {
  it('puts the run request and AWS placeholders in valid JSON once filled', () => {
    expect(targetInput(nightly)).toBe(
      '{"trigger":{"type":"schedule","name":"nightly"},"run":{"taskDefinition":"ingest"},"schedule":{"executionId":"<aws.scheduler.execution-id>","scheduledTime":"<aws.scheduler.scheduled-time>"}}',
    );
    expect(JSON.parse(scheduleInvocation(nightly, 'd32c5kddcf5bb8c3', '2024-05-01T02:00:00Z'))).toEqual({
      trigger: { type: 'schedule', name: 'nightly' },
      run: { taskDefinition: 'ingest' },
      schedule: { executionId: 'd32c5kddcf5bb8c3', scheduledTime: '2024-05-01T02:00:00Z' },
    });
    expect(targetInput(upload).endsWith(',"event":<aws.events.event.json>}')).toBe(true);
    expect(TriggerInvocationSchema.safeParse(JSON.parse(eventInvocation(upload, event({ key: 'a' })))).success).toBe(
      true,
    );
  });

  it('refuses run requests that cannot travel in a target input', () => {
    expect(
      targetInputProblem({ ...nightly, run: { taskDefinition: 'ingest', startedBy: '<aws.events.rule-name>' } }),
    ).toBe(
      'The run request contains <aws.events.rule-name>, which EventBridge would read as a placeholder; write it another way.',
    );
    const big = {
      taskDefinition: 'ingest',
      tags: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(200) })),
    };
    expect(targetInputProblem({ ...nightly, run: big })).toMatch(
      /^The run request makes a target input of \d+ characters; EventBridge takes at most 8192\.$/,
    );
  });
});

describe('startTriggeredRun', () => {
  it('starts an event trigger run with the event value in the environment and the trigger recorded', async () => {
    const result = await invoke(eventInvocation(upload, event({ key: 'in/a.csv' })));
    expect(result).toMatchObject({
      status: 'PENDING',
      created: true,
      trigger: { type: 'event', name: 'on-upload', eventId: 'e7f3c2a1-0000-4000-8000-000000000001' },
    });
    const input = startedInput();
    expect(input.trigger).toEqual({
      type: 'event',
      name: 'on-upload',
      eventId: 'e7f3c2a1-0000-4000-8000-000000000001',
    });
    expect(input.runTask.Overrides?.ContainerOverrides?.[0]?.Environment).toEqual([{ Name: 'KEY', Value: 'in/a.csv' }]);
    expect(input.taskDefinitionArn).toBe(TD_ARN);
  });

  it('starts a schedule run recording the execution id as the event id', async () => {
    await invoke(scheduleInvocation(nightly, 'd32c5kddcf5bb8c3', '2024-05-01T02:00:00Z'));
    expect(startedInput().trigger).toEqual({ type: 'schedule', name: 'nightly', eventId: 'd32c5kddcf5bb8c3' });
  });

  it('keys each firing: the same event again is the same run id, another event another', async () => {
    const first = (await invoke(eventInvocation(upload, event({ key: 'a' })))) as { runId: string };
    const second = (await invoke(eventInvocation(upload, event({ key: 'a' }, 'another-id')))) as { runId: string };
    expect(first.runId).not.toBe(second.runId);
    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).toEqual([first.runId, second.runId]);
    const payload = TriggerInvocationSchema.parse(JSON.parse(eventInvocation(upload, event({ key: 'a' }))));
    expect(firingKey(payload)).toMatch(/^trigger-[A-Za-z0-9_-]{40}$/);
    expect(firingKey(payload).length).toBeLessThanOrEqual(64);
  });

  it('schedules key on the scheduled time, not the per-attempt execution id', () => {
    const a = TriggerInvocationSchema.parse(JSON.parse(scheduleInvocation(nightly, 'x1', '2024-05-01T02:00:00Z')));
    const b = TriggerInvocationSchema.parse(JSON.parse(scheduleInvocation(nightly, 'x2', '2024-05-01T02:00:00Z')));
    expect(firingKey(a)).toBe(firingKey(b));
  });

  it.each<[string, string, Array<{ path: string; message: string }>]>([
    [
      'an event without the templated value',
      eventInvocation(upload, event({ other: 1 })),
      [
        {
          path: '$.overrides.containerOverrides[0].environment[0].value',
          message: 'The event has no value at $.detail.key and the template has no default.',
        },
      ],
    ],
    [
      'a templated value of the wrong type',
      eventInvocation(upload, event({ key: 42 })),
      [{ path: '$.overrides.containerOverrides[0].environment[0].value', message: 'Must be a string.' }],
    ],
    [
      'a run request POST /runs refuses',
      scheduleInvocation({ ...nightly, run: { taskDefinition: 'ingest', count: 11 } }, 'x', '2024-05-01T02:00:00Z'),
      [{ path: '$.count', message: "'count' must be an integer from 1 to 10." }],
    ],
    [
      'a payload that is not a trigger invocation',
      JSON.stringify({ trigger: { type: 'cron', name: 'x' }, run: {} }),
      [{ path: '$.trigger.type', message: 'Must be one of: schedule, event.' }],
    ],
  ])('refuses %s without throwing (no retry), and starts nothing', async (_what, payload, errors) => {
    const result = await invoke(payload);
    expect(result).toMatchObject({ refused: true, status: 400, extensions: { errors } });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('throws what may succeed on a retry, and the retry completes the start', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(new Error('socket hang up'));
    const firing = scheduleInvocation(nightly, 'x', '2024-05-01T02:00:00Z');
    await expect(invoke(firing)).rejects.toThrow('socket hang up');
    const [record] = [...table.values()];
    expect(record).toMatchObject({ status: 'PENDING', trigger: { type: 'schedule', name: 'nightly' } });

    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
    expect(await invoke(scheduleInvocation(nightly, 'x2', '2024-05-01T02:00:00Z'))).toMatchObject({
      runId: record?.runId,
      created: false,
    });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([
      record?.runId,
      record?.runId,
    ]);
  });
});
