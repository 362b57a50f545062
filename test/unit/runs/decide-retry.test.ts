import { ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { decideAttempt } from '../../../lib/runs/decide-retry';
import type { WorkflowState } from '../../../lib/runs/workflow';

const ecsMock = mockClient(ECSClient);
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/abc';

/** The task object ecs:runTask.sync puts in a TaskFailed cause (PascalCase, epoch milliseconds). */
function cause(containers: object[], extra: object = {}): string {
  return JSON.stringify({
    TaskArn: TASK,
    LastStatus: 'STOPPED',
    StartedAt: 1735689600000,
    StoppedAt: 1735689660000,
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: containers,
    ...extra,
  });
}

function state(
  failure: WorkflowState['failure'],
  retry: Partial<WorkflowState['retry']> = {},
  attempt = 1,
): WorkflowState {
  return {
    runId: 'run-1',
    submittedAt: '2025-01-01T00:00:00.000Z',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
    runTask: { Cluster: 'default', TaskDefinition: 'job:1', Count: 1, LaunchType: 'EC2' },
    retry: { attempts: 3, backoffSeconds: 5, backoffRate: 2, evaluateOnExit: [], ...retry },
    capacity: { waitSeconds: 0, checkIntervalSeconds: 1 },
    timeoutSeconds: 60,
    check: {
      attempt,
      checkedAt: '2025-01-01T00:00:00.000Z',
      checked: true,
      fits: true,
      placeableCount: 1,
      instanceCount: 1,
      waitedSeconds: 0,
      checks: 1,
      decision: 'RUN',
      target: 'LAUNCH_TYPE',
      clientToken: `run-1-${attempt}-1`,
      timeoutSeconds: 60,
      message: '',
    },
    ...(failure ? { failure } : {}),
  };
}

const deps = () => ({ ecs: new ECSClient({}) });

beforeEach(() => ecsMock.reset());

describe('decideAttempt', () => {
  it('a non-zero exit follows the retry policy and backs off', async () => {
    const out = await decideAttempt(
      deps(),
      state(
        { Error: 'States.TaskFailed', Cause: cause([{ Name: 'main', ExitCode: 3 }]) },
        { evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }] },
        2,
      ),
    );
    expect(out.outcome).toEqual({
      attempt: 2,
      outcome: 'FAILED',
      decision: 'RETRY',
      why: 'evaluateOnExit[0] (onExitCode "3") matched (exit code 3, status reason "Essential container in task exited"): RETRY (2 of 3 attempts used).',
      backoffSeconds: 10,
      nextAttempt: 3,
      error: { code: 'TaskFailed', message: 'Container main exited with code 3 on attempt 2 of 3.' },
      taskArns: [TASK],
      startedAt: '2025-01-01T00:00:00.000Z',
      stoppedAt: '2025-01-01T00:01:00.000Z',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'main', exitCode: 3 }],
    });
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('EXIT ends the run with the exit code in the message', async () => {
    const out = await decideAttempt(
      deps(),
      state(
        {
          Error: 'States.TaskFailed',
          Cause: cause([
            { Name: 'sidecar', ExitCode: 0 },
            { Name: 'main', ExitCode: 3 },
          ]),
        },
        { evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }] },
      ),
    );
    expect(out.outcome).toMatchObject({ decision: 'EXIT', outcome: 'FAILED' });
    expect(out.outcome?.nextAttempt).toBeUndefined();
    expect(out.outcome?.error.message).toBe('Container main exited with code 3 on attempt 1 of 3.');
  });

  it('a task that failed to start is judged on its reason', async () => {
    const out = await decideAttempt(
      deps(),
      state(
        {
          Error: 'States.TaskFailed',
          Cause: cause([{ Name: 'main', Reason: 'CannotPullContainerError: pull access denied for nope' }], {
            StopCode: 'TaskFailedToStart',
            StoppedReason: 'CannotPullContainerError: pull access denied for nope',
            StartedAt: undefined,
          }),
        },
        { evaluateOnExit: [{ onReason: 'CannotPullContainerError:*', action: 'EXIT' }] },
      ),
    );
    expect(out.outcome).toMatchObject({
      outcome: 'FAILED',
      decision: 'EXIT',
      stopCode: 'TaskFailedToStart',
      error: {
        code: 'TaskFailed',
        message:
          'Container main did not exit normally (CannotPullContainerError: pull access denied for nope) on attempt 1 of 3.',
      },
    });
  });

  it('a timeout stops the run’s tasks and is never retried', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [TASK] });
    ecsMock.on(StopTaskCommand).resolves({});
    const out = await decideAttempt(deps(), state({ Error: 'States.Timeout', Cause: '' }, { attempts: 5 }));
    expect(ecsMock.commandCalls(ListTasksCommand)[0]?.args[0].input).toEqual({
      cluster: 'default',
      startedBy: 'run-1',
      desiredStatus: 'RUNNING',
      nextToken: undefined,
    });
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toEqual({
      cluster: 'default',
      task: TASK,
      reason: 'Berth run run-1: attempt 1 timed out after 60 s',
    });
    expect(out.outcome).toMatchObject({
      outcome: 'TIMED_OUT',
      decision: 'EXIT',
      taskArns: [TASK],
      error: { code: 'TaskTimedOut', message: 'Berth run run-1: attempt 1 timed out after 60 s.' },
    });
  });

  it('ECS refusing RunTask is not retried and keeps ECS’s error name', async () => {
    const out = await decideAttempt(
      deps(),
      state({ Error: 'ECS.InvalidParameterException', Cause: 'No Container Instances were found in your cluster.' }),
    );
    expect(out.outcome).toMatchObject({
      outcome: 'FAILED',
      decision: 'EXIT',
      error: { code: 'ECS.InvalidParameterException', message: 'No Container Instances were found in your cluster.' },
      taskArns: [],
    });
  });
});
