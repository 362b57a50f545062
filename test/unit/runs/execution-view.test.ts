/**
 * A run as its execution and history tell it (lib/runs/execution-view.ts): what the run events describe, and the
 * benchmark's baseline. Step Functions and ECS mocked.
 */
import './env';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { NotFoundError } from '../../../lib/errors';
import { loadRunsConfig } from '../../../lib/runs/config';
import { getRunFromExecution } from '../../../lib/runs/execution-view';
import type { ExecutionInput } from '../../../lib/runs/types';
import { STATE_MACHINE_ARN } from './env';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:berth-test-run-task:';
const sfnError = <T>(Type: new (o: { message: string; $metadata: object }) => T, message = 'x') =>
  new Type({ message, $metadata: {} });
const execution = (runId: string, fields: Partial<DescribeExecutionCommandOutput> = {}) => ({
  executionArn: `${EXECUTION_PREFIX}${runId}`,
  stateMachineArn: STATE_MACHINE_ARN,
  name: runId,
  status: 'RUNNING' as const,
  startDate: new Date('2025-01-01T00:00:00Z'),
  input: '{}',
  $metadata: {},
  ...fields,
});
const deps = {
  sfn: new SFNClient({ region: 'us-east-1' }),
  ecs: new ECSClient({ region: 'us-east-1' }),
  config: loadRunsConfig(),
};

beforeEach(() => {
  ecs.reset();
  sfn.reset();
});

describe('getRunFromExecution', () => {
  const runId = '4b0c7a53-4d6e-4b9a-9d1e-0f7f3c1f2a10';
  const input: Partial<ExecutionInput> = {
    runId,
    submittedAt: '2025-01-01T00:00:00.000Z',
    taskDefinitionArn: TD_ARN,
    runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1 },
  };
  const started: HistoryEvent = {
    id: 1,
    type: 'ExecutionStarted',
    timestamp: new Date('2025-01-01T00:00:00Z'),
    executionStartedEventDetails: { input: JSON.stringify(input) },
  };
  const entered = (id: number, name: string): HistoryEvent => ({
    id,
    type: 'TaskStateEntered',
    timestamp: new Date('2025-01-01T00:00:01Z'),
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  });

  it('builds the view from the execution and every page of its history', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution(runId, { input: JSON.stringify(input) }));
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [started], nextToken: 'page-2' })
      .resolvesOnce({ events: [entered(2, 'Wait For Capacity')] });
    expect(await getRunFromExecution(deps, runId)).toMatchObject({
      runId,
      status: 'WAITING_FOR_CAPACITY',
      taskDefinitionArn: TD_ARN,
      cluster: 'default',
      createdAt: '2025-01-01T00:00:00.000Z',
      attempts: [],
    });
    const pages = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { executionArn: `${EXECUTION_PREFIX}${runId}`, maxResults: 1000, includeExecutionData: true },
      {
        executionArn: `${EXECUTION_PREFIX}${runId}`,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken: 'page-2',
      },
    ]);
  });

  describe('a cancelled run', () => {
    const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
    const reason = 'Step Functions execution was stopped (StopExecution): Berth.Cancelled';
    const aborted: HistoryEvent[] = [
      started,
      {
        ...entered(2, 'Run Task'),
        stateEnteredEventDetails: { name: 'Run Task', input: JSON.stringify({ ...input, check: { attempt: 1 } }) },
      },
      {
        id: 3,
        type: 'TaskSubmitted',
        timestamp: new Date('2025-01-01T00:00:02Z'),
        taskSubmittedEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          output: JSON.stringify({ Tasks: [{ TaskArn: taskArn }] }),
        },
      },
      {
        id: 4,
        type: 'ExecutionAborted',
        timestamp: new Date('2025-01-01T00:00:05Z'),
        executionAbortedEventDetails: { error: 'Berth.Cancelled', cause: 'Run was cancelled.' },
      },
    ];
    beforeEach(() => {
      sfn.on(DescribeExecutionCommand).resolves(
        execution(runId, {
          status: 'ABORTED',
          input: JSON.stringify(input),
          stopDate: new Date('2025-01-01T00:00:05Z'),
        }),
      );
      sfn.on(GetExecutionHistoryCommand).resolves({ events: aborted });
    });

    it('reads the stop code, reason and exit codes of the task the cancel stopped from ECS (the history has none)', async () => {
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          {
            taskArn,
            lastStatus: 'STOPPED',
            stopCode: 'UserInitiated',
            stoppedReason: reason,
            stoppedAt: new Date('2025-01-01T00:00:06Z'),
            containers: [{ name: 'anjana', exitCode: 143 }],
          },
        ],
      });
      expect(await getRunFromExecution(deps, runId)).toMatchObject({
        status: 'CANCELLED',
        attempts: [
          {
            attempt: 1,
            outcome: 'CANCELLED',
            taskArns: [taskArn],
            stopCode: 'UserInitiated',
            stoppedReason: reason,
            stoppedAt: '2025-01-01T00:00:06.000Z',
            containers: [{ name: 'anjana', exitCode: 143 }],
          },
        ],
        error: { code: 'Berth.Cancelled' },
      });
      expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: 'default', tasks: [taskArn] },
      ]);
    });

    it('answers the run as the history has it when ECS cannot describe the task', async () => {
      ecs.on(DescribeTasksCommand).rejects(new Error('Rate exceeded'));
      const attempt = (await getRunFromExecution(deps, runId)).attempts[0];
      expect(attempt).toMatchObject({ outcome: 'CANCELLED', taskArns: [taskArn], containers: [] });
      expect(attempt?.stopCode).toBeUndefined();
    });
  });

  it('answers 404 for an unknown run', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    await expect(getRunFromExecution(deps, runId)).rejects.toThrow(new NotFoundError(`Run ${runId} does not exist.`));
  });
});
