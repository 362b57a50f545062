import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import type { ExecutionInput } from '../../../lib/runs/types';
import { runView } from '../../../lib/runs/view';
import type { CapacityCheck, WorkflowState } from '../../../lib/runs/workflow';

const T0 = new Date('2025-01-01T00:00:00Z');
const input: ExecutionInput = {
  runId: 'run-1',
  submittedAt: '2025-01-01T00:00:00.000Z',
  trigger: { type: 'schedule', name: 'nightly' },
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
  runTask: { Cluster: 'default', TaskDefinition: 'job:1', Count: 1, LaunchType: 'EC2' },
  retry: { attempts: 1, backoffSeconds: 0, backoffRate: 1, evaluateOnExit: [] },
  capacity: { waitSeconds: 60, checkIntervalSeconds: 10 },
};

const check = (over: Partial<CapacityCheck> = {}): CapacityCheck => ({
  attempt: 1,
  checkedAt: '2025-01-01T00:00:01.000Z',
  checked: true,
  fits: false,
  placeableCount: 0,
  instanceCount: 4,
  shortfall: { tasks: 1, cpu: 2048, memory: 512, reason: 'RESOURCE:CPU' },
  waitedSeconds: 0,
  checks: 1,
  decision: 'WAIT',
  target: 'LAUNCH_TYPE',
  clientToken: 'run-1-1-1',
  timeoutSeconds: 99999999,
  message: '',
  ...over,
});

/** A history as GetExecutionHistory returns it, from [type, details] pairs. */
function history(...events: Array<[string, Record<string, unknown>?]>): HistoryEvent[] {
  return events.map(([type, details], i) => {
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`
      .replace(/^task(State)?(Entered|Exited)/, 'state$2')
      .replace(/^(choice|wait|fail)State(Entered|Exited)/, 'state$2');
    return {
      id: i + 1,
      type,
      timestamp: new Date(T0.getTime() + i * 1000),
      ...(details ? { [key]: details } : {}),
    } as HistoryEvent;
  });
}

const state = (extra: Partial<WorkflowState>) => JSON.stringify({ ...input, ...extra });
const execution = (over: Partial<DescribeExecutionOutput>): DescribeExecutionOutput =>
  ({
    name: 'run-1',
    status: 'RUNNING',
    startDate: T0,
    input: JSON.stringify(input),
    ...over,
  }) as DescribeExecutionOutput;

describe('runView', () => {
  it('PENDING before the first check answers', () => {
    const view = runView(
      execution({}),
      history(
        ['ExecutionStarted', { input: JSON.stringify(input) }],
        ['TaskStateEntered', { name: 'Check Capacity', input: state({}) }],
      ),
    );
    expect(view).toEqual({
      runId: 'run-1',
      status: 'PENDING',
      taskDefinitionArn: input.taskDefinitionArn,
      cluster: 'default',
      trigger: { type: 'schedule', name: 'nightly' },
      createdAt: '2025-01-01T00:00:00.000Z',
      attempts: [],
    });
  });

  it('WAITING_FOR_CAPACITY while waiting and while re-checking, with the last check', () => {
    const events = history(
      ['ExecutionStarted', { input: JSON.stringify(input) }],
      ['TaskStateEntered', { name: 'Check Capacity', input: state({}) }],
      ['TaskStateExited', { name: 'Check Capacity', output: state({ check: check() }) }],
      ['ChoiceStateEntered', { name: 'Is There Room', input: state({ check: check() }) }],
      ['ChoiceStateExited', { name: 'Is There Room', output: state({ check: check() }) }],
      ['WaitStateEntered', { name: 'Wait For Capacity', input: state({ check: check() }) }],
    );
    const view = runView(execution({}), events);
    expect(view.status).toBe('WAITING_FOR_CAPACITY');
    expect(view.capacity).toEqual({
      checkedAt: '2025-01-01T00:00:01.000Z',
      fits: false,
      placeableCount: 0,
      instanceCount: 4,
      shortfall: { tasks: 1, cpu: 2048, memory: 512, reason: 'RESOURCE:CPU' },
    });
    const rechecking = [
      ...events,
      ...history(
        ['WaitStateExited', { name: 'Wait For Capacity' }],
        ['TaskStateEntered', { name: 'Check Capacity', input: state({ check: check() }) }],
      ).map((e, i) => ({ ...e, id: events.length + i + 1 })),
    ];
    expect(runView(execution({}), rechecking).status).toBe('WAITING_FOR_CAPACITY');
  });

  it('RUNNING once RunTask answered with the task, with its ARN', () => {
    const ok = check({ fits: true, decision: 'RUN', shortfall: undefined, placeableCount: 1 });
    const view = runView(
      execution({}),
      history(
        ['ExecutionStarted', { input: JSON.stringify(input) }],
        ['TaskStateExited', { name: 'Check Capacity', output: state({ check: ok }) }],
        ['TaskStateEntered', { name: 'Run Task', input: state({ check: ok }) }],
        ['TaskScheduled', { resourceType: 'ecs', resource: 'runTask.sync', parameters: '{}' }],
        [
          'TaskSubmitted',
          {
            resourceType: 'ecs',
            resource: 'runTask.sync',
            output: JSON.stringify({ Tasks: [{ TaskArn: 'arn:task/1' }], Failures: [] }),
          },
        ],
      ),
    );
    expect(view.status).toBe('RUNNING');
    expect(view.startedAt).toBe('2025-01-01T00:00:04.000Z');
    expect(view.attempts).toEqual([
      {
        attempt: 1,
        taskArns: ['arn:task/1'],
        containers: [],
        outcome: 'RUNNING',
        startedAt: '2025-01-01T00:00:04.000Z',
      },
    ]);
  });

  it('a Lambda error ends the run with its message, not its JSON envelope', () => {
    const cause = JSON.stringify({
      errorType: 'CapacityCheckError',
      errorMessage: 'Cluster nope was not found (MISSING).',
      trace: [],
    });
    const view = runView(
      execution({ status: 'FAILED', stopDate: new Date('2025-01-01T00:00:05Z'), error: 'CapacityCheckError', cause }),
      history(
        ['ExecutionStarted', { input: JSON.stringify(input) }],
        ['ExecutionFailed', { error: 'CapacityCheckError', cause }],
      ),
    );
    expect(view).toMatchObject({
      status: 'FAILED',
      stoppedAt: '2025-01-01T00:00:05.000Z',
      error: { code: 'CapacityCheckError', message: 'Cluster nope was not found (MISSING).' },
    });
  });

  it('an execution that timed out as a whole reads TIMED_OUT, its running attempt too', () => {
    const ok = check({ fits: true, decision: 'RUN' });
    const view = runView(
      execution({ status: 'TIMED_OUT' }),
      history(
        ['ExecutionStarted', { input: JSON.stringify(input) }],
        ['TaskStateEntered', { name: 'Run Task', input: state({ check: ok }) }],
        ['TaskSubmitted', { output: JSON.stringify({ Tasks: [{ TaskArn: 'arn:task/1' }] }) }],
        ['ExecutionTimedOut', {}],
      ),
    );
    expect(view.status).toBe('TIMED_OUT');
    expect(view.attempts.map((a) => a.outcome)).toEqual(['TIMED_OUT']);
    expect(view.error?.code).toBe('States.Timeout');
  });
});
