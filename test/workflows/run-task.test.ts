/**
 * One case per path through workflows/run-task.asl.yaml, on the local engine with the real
 * handlers, asserting on the execution history and on the run view (GET /runs/{id}).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { type HistoryEvent, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { AWS_MAX_ATTEMPTS } from '../../lib/clients/config';
import { runView } from '../../lib/runs/record';
import type { RunStatus } from '../../lib/runs/types';
import { TRANSIENT_AWS_ERROR } from '../../lib/workflow-step';
import { ENTERS_QUEUE, executionInput, path_, type Stack, startStack, viewOf } from './harness';

let stack: Stack;
/** Simulated containers (no command): exit 0 unless steered with BERTH_SIMULATE_* variables. */
let job: string;
/** A container that runs a command on the host (the process runtime). */
let shell: string;

beforeAll(async () => {
  // Two instances with 1 vCPU and 2 GiB each; a wait of 1 s lasts 10 ms.
  stack = await startStack([{ count: 2, cpu: 1024, memory: 2048 }], 0.01);
  job = await stack.register({
    family: 'job',
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 512, memory: 256 }],
  });
  shell = await stack.register({
    family: 'shell',
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 256, memory: 128, command: ['true'] }],
  });
});

afterAll(async () => {
  await stack?.close();
});

/** The history as one line per event, printed when an expectation on the run fails. */
function describeHistory(events: HistoryEvent[]): string {
  return events
    .map((e) => {
      const details = Object.entries(e).find(([k]) => k.endsWith('EventDetails'))?.[1];
      return `${e.id} ${e.type} ${JSON.stringify(details ?? {}).slice(0, 300)}`;
    })
    .join('\n');
}

async function runToEnd(input: ReturnType<typeof executionInput>, status: 'SUCCEEDED' | 'FAILED' | 'ABORTED') {
  const arn = await stack.start(input);
  const execution = await stack.finished(arn);
  const events = await stack.history(arn);
  if (execution.status !== status)
    throw new Error(`expected ${status}, got ${execution.status}:\n${describeHistory(events)}`);
  const settled = await stack.settle(arn);
  if (settled === undefined) throw new Error(`run ${input.runId} has no record`);
  return { arn, execution, events, view: await viewOf(stack, arn), record: runView(settled) };
}

async function until(what: string, check: () => Promise<boolean>) {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function statusOf(arn: string): Promise<RunStatus> {
  return (await viewOf(stack, arn)).status;
}

const sh = (script: string) => ({ ContainerOverrides: [{ Name: 'main', Command: ['sh', '-c', script] }] });
const failed = (events: HistoryEvent[]) =>
  events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error);

describe('run-task workflow', () => {
  it('happy path: enter the queue, check, run, every container exits 0 (5 state transitions)', async () => {
    const { events, view, record } = await runToEnd(executionInput(job), 'SUCCEEDED');
    expect(path_(events)).toEqual([...ENTERS_QUEUE, 'Check Capacity', 'Is There Room', 'Run Task']);
    const scheduled = events.find((e) => e.taskScheduledEventDetails?.resource === 'runTask.sync');
    const parameters = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}');
    // The group names the run and the attempt: the record rule matches it, the record writer files the task by it.
    expect(parameters).toMatchObject({
      StartedBy: view.runId,
      Group: `berth:${view.runId}:1`,
      ClientToken: `${view.runId}-1-1`,
    });
    // The record: the check Check Capacity recorded, and the end the execution's status change delivered.
    expect(record).toMatchObject({
      runId: view.runId,
      status: 'SUCCEEDED',
      family: 'job',
      capacity: { fits: true, placeableCount: 1 },
      stoppedAt: expect.any(String),
    });
    expect(record.error).toBeUndefined();
    expect(view).toMatchObject({
      status: 'SUCCEEDED',
      cluster: 'default',
      taskDefinitionArn: job,
      capacity: { fits: true, placeableCount: 1, instanceCount: expect.any(Number) },
    });
    expect(view.error).toBeUndefined();
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'SUCCEEDED',
        stopCode: 'EssentialContainerExited',
        containers: [expect.objectContaining({ name: 'main', exitCode: 0 })],
      }),
    ]);
    expect(view.attempts[0]?.taskArns).toHaveLength(1);
  });

  it('a run POST /runs admitted already (a queue with no limit) skips Enter Queue (4 state transitions)', async () => {
    const input = executionInput(job);
    input.queue = { ...input.queue!, admittedAt: new Date().toISOString() };
    const { events, record } = await runToEnd(input, 'SUCCEEDED');
    expect(path_(events)).toEqual(['Admitted At Start', 'Check Capacity', 'Is There Room', 'Run Task']);
    // Check Capacity's invoke and the task; no Enter Queue invoke waiting for a token.
    expect(events.filter((e) => e.type === 'TaskScheduled').map((e) => e.taskScheduledEventDetails?.resource)).toEqual([
      'invoke',
      'runTask.sync',
    ]);
    expect(record).toMatchObject({ status: 'SUCCEEDED', capacity: { fits: true } });
  });

  it('waits for capacity, then runs once an instance with room joins', async () => {
    const input = executionInput(job, {
      runTask: { Overrides: { ContainerOverrides: [{ Name: 'main', Cpu: 2048 }] } },
      capacity: { waitSeconds: 3600, checkIntervalSeconds: 1 },
    });
    const arn = await stack.start(input);
    await until('the run to wait for capacity', async () => (await statusOf(arn)) === 'WAITING_FOR_CAPACITY');
    const waiting = await viewOf(stack, arn);
    expect(waiting.capacity).toMatchObject({
      fits: false,
      placeableCount: 0,
      shortfall: { tasks: 1, cpu: 2048, reason: 'RESOURCE:CPU' },
    });
    // Check Capacity recorded the wait in the run's record, with the shortfall.
    expect(await stack.record(input.runId)).toMatchObject({
      status: 'WAITING_FOR_CAPACITY',
      attempt: 1,
      capacity: { fits: false, shortfall: { tasks: 1, cpu: 2048, reason: 'RESOURCE:CPU' } },
    });
    await stack.admin('AddContainerInstance', { cpu: 2048, memory: 2048 });
    const execution = await stack.finished(arn);
    const events = await stack.history(arn);
    expect(execution.status).toBe('SUCCEEDED');
    const states = path_(events);
    expect(states.slice(0, 6)).toEqual([
      ...ENTERS_QUEUE,
      'Check Capacity',
      'Is There Room',
      'Wait For Capacity',
      'Check Capacity',
    ]);
    expect(states.slice(-3)).toEqual(['Check Capacity', 'Is There Room', 'Run Task']);
    const view = await viewOf(stack, arn);
    expect(view).toMatchObject({ status: 'SUCCEEDED', capacity: { fits: true } });
    expect(view.attempts.map((a) => a.outcome)).toEqual(['SUCCEEDED']);
    expect(await stack.settle(arn)).toMatchObject({ status: 'SUCCEEDED', capacity: { fits: true } });
  });

  it('fails with InsufficientCapacity and the shortfall when room never comes', async () => {
    const { events, view, execution, record } = await runToEnd(
      executionInput(job, {
        runTask: { Overrides: { ContainerOverrides: [{ Name: 'main', Cpu: 4096 }] } },
        capacity: { waitSeconds: 3, checkIntervalSeconds: 1 },
      }),
      'FAILED',
    );
    expect(record).toMatchObject({
      status: 'FAILED',
      attempts: [],
      error: { code: 'InsufficientCapacity', message: execution.cause },
      capacity: { fits: false, shortfall: { tasks: 1, cpu: 4096, memory: 256, reason: 'RESOURCE:CPU' } },
    });
    expect(path_(events)).toEqual([
      ...ENTERS_QUEUE,
      ...['Check Capacity', 'Is There Room', 'Wait For Capacity'],
      ...['Check Capacity', 'Is There Room', 'Wait For Capacity'],
      ...['Check Capacity', 'Is There Room', 'Wait For Capacity'],
      ...['Check Capacity', 'Is There Room', 'Insufficient Capacity'],
    ]);
    expect(execution.error).toBe('InsufficientCapacity');
    expect(execution.cause).toMatch(
      /^1 of 1 task does not fit on the \d+ container instances of cluster default after waiting 3 s: it needs 4096 CPU units and 256 MiB \(closest instance: RESOURCE:CPU\)\.$/,
    );
    expect(view).toMatchObject({
      status: 'FAILED',
      attempts: [],
      error: { code: 'InsufficientCapacity', message: execution.cause },
      capacity: {
        fits: false,
        placeableCount: 0,
        shortfall: { tasks: 1, cpu: 4096, memory: 256, reason: 'RESOURCE:CPU' },
      },
    });
  });

  it('retries a throttled RunTask with backoff in the same state, then succeeds', async () => {
    await stack.admin('PutFaults', { throttle: { rate: 1, operations: ['RunTask'], count: 2 } });
    const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
    expect(path_(events)).toEqual([...ENTERS_QUEUE, 'Check Capacity', 'Is There Room', 'Run Task']);
    expect(failed(events)).toEqual(['ECS.AmazonECSException', 'ECS.AmazonECSException']);
    expect(view.attempts.map((a) => a.outcome)).toEqual(['SUCCEEDED']);
  });

  describe('transient failures never fail the run', () => {
    afterEach(() => jest.restoreAllMocks());

    it('retries Check Capacity when ECS stays throttled through the SDK retries (Berth.TransientAwsError)', async () => {
      // Full jitter draws each backoff from [0, ceiling): 0 keeps the SDK's throttling backoff from really sleeping.
      jest.spyOn(Math, 'random').mockReturnValue(0);
      await stack.admin('PutFaults', {
        throttle: { rate: 1, operations: ['ListContainerInstances'], count: AWS_MAX_ATTEMPTS },
      });
      const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
      expect(path_(events)).toEqual([...ENTERS_QUEUE, 'Check Capacity', 'Is There Room', 'Run Task']);
      expect(failed(events)).toEqual([TRANSIENT_AWS_ERROR]);
      const cause = JSON.parse(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails?.cause ?? '{}');
      expect(cause.errorMessage).toBe(
        `ECS ListContainerInstances throttled after ${AWS_MAX_ATTEMPTS} attempts (ThrottlingException): Rate exceeded.`,
      );
      expect(view.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCEEDED']]);
    });

    it('checks again and keeps the ClientToken when RunTask stays throttled through its retries', async () => {
      // The Run Task states make 1 + 5 calls (MaxAttempts 5) before the Catch: throttle all of them.
      await stack.admin('PutFaults', { throttle: { rate: 1, operations: ['RunTask'], count: 6 } });
      const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
      expect(path_(events)).toEqual([
        ...ENTERS_QUEUE,
        ...['Check Capacity', 'Is There Room', 'Run Task', 'Wait For Capacity'],
        ...['Check Capacity', 'Is There Room', 'Run Task'],
      ]);
      expect(failed(events)).toEqual(Array(6).fill('ECS.AmazonECSException'));
      const tokens = events
        .filter((e) => e.taskScheduledEventDetails?.resource === 'runTask.sync')
        .map((e) => JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}').ClientToken);
      expect(new Set(tokens)).toEqual(new Set([`${view.runId}-1-1`]));
      expect(view.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCEEDED']]);
    });

    it('retries Check Capacity after the function timed out or died (Sandbox.Timedout, Lambda.Unknown)', async () => {
      stack.failInvokes('checkCapacity', ['Sandbox.Timedout', 'Lambda.Unknown']);
      const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
      expect(failed(events)).toEqual(['Sandbox.Timedout', 'Lambda.Unknown']);
      expect(path_(events)).toEqual([...ENTERS_QUEUE, 'Check Capacity', 'Is There Room', 'Run Task']);
      expect(view.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCEEDED']]);
    });

    it('retries a Lambda service failure of Check Capacity (Lambda.ServiceException, Lambda.TooManyRequestsException)', async () => {
      stack.failInvokes('checkCapacity', ['Lambda.ServiceException', 'Lambda.TooManyRequestsException']);
      const { events } = await runToEnd(executionInput(job), 'SUCCEEDED');
      expect(failed(events)).toEqual(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']);
    });

    it('retries Decide Retry after it timed out, and the run ends as its policy says', async () => {
      stack.failInvokes('decideRetry', ['Sandbox.Timedout']);
      const { events, view } = await runToEnd(
        executionInput(shell, {
          runTask: { Overrides: sh('exit 3') },
          retry: {
            attempts: 3,
            backoffSeconds: 1,
            backoffRate: 1,
            evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }],
          },
        }),
        'FAILED',
      );
      expect(failed(events)).toEqual(['States.TaskFailed', 'Sandbox.Timedout']);
      expect(view.attempts.map((a) => [a.attempt, a.outcome, a.retry?.decision])).toEqual([[1, 'FAILED', 'EXIT']]);
      expect(view.error?.code).toBe('TaskFailed');
    });

    it('gives up on a function that always times out after a bounded number of tries', async () => {
      stack.failInvokes('checkCapacity', Array(10).fill('Sandbox.Timedout'));
      try {
        const { events, execution, view } = await runToEnd(executionInput(job), 'FAILED');
        expect(failed(events)).toEqual(Array(4).fill('Sandbox.Timedout')); // the first try and 3 retries
        expect(execution.error).toBe('Sandbox.Timedout');
        expect(view).toMatchObject({ status: 'FAILED', attempts: [], error: { code: 'Sandbox.Timedout' } });
      } finally {
        stack.failInvokes('checkCapacity', []);
      }
    });

    it('keeps waiting for the task while DescribeTasks polls are throttled, with no RunTask again', async () => {
      await stack.admin('PutFaults', { throttle: { rate: 1, operations: ['DescribeTasks'], count: 8 } });
      const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
      expect(failed(events)).toEqual([]);
      expect(events.filter((e) => e.taskScheduledEventDetails?.resource === 'runTask.sync')).toHaveLength(1);
      expect(view.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCEEDED']]);
      expect((await stack.admin('GetFaults')).faults).toEqual({}); // all 8 throttles were used
    });
  });

  it('ends the run without an attempt when ECS refuses the capacity check, and says so', async () => {
    const unknown = job.replace(/:\d+$/, ':99');
    const { events, execution, view } = await runToEnd(executionInput(unknown), 'FAILED');
    expect(failed(events)).toEqual(['ECS.ClientException']); // not retried
    expect(execution.error).toBe('ECS.ClientException');
    expect(view).toMatchObject({
      status: 'FAILED',
      attempts: [],
      error: {
        code: 'ECS.ClientException',
        message: expect.stringMatching(
          /^ECS refused DescribeTaskDefinition \(ClientException\): .+ The request is at fault, so it is not retried\.$/,
        ),
      },
    });
  });

  it('goes back to the capacity check when RunTask loses a placement race', async () => {
    await stack.admin('PutFaults', { placementFailure: { reason: 'RESOURCE:CPU', count: 1 } });
    const { events, view } = await runToEnd(executionInput(job), 'SUCCEEDED');
    expect(path_(events)).toEqual([
      ...ENTERS_QUEUE,
      ...['Check Capacity', 'Is There Room', 'Run Task', 'Wait For Capacity'],
      ...['Check Capacity', 'Is There Room', 'Run Task'],
    ]);
    expect(failed(events)).toEqual(['AmazonECS.Unknown']);
    const tokens = events
      .filter((e) => e.taskScheduledEventDetails?.resource === 'runTask.sync')
      .map((e) => JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}').ClientToken);
    expect(tokens).toEqual([`${view.runId}-1-1`, `${view.runId}-1-2`]);
    // Placing nothing is not an attempt.
    expect(view.attempts.map((a) => [a.attempt, a.outcome])).toEqual([[1, 'SUCCEEDED']]);
  });

  it('retries exit code 3 as the RETRY rule says, then succeeds', async () => {
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-retry-')), 'tried');
    const { events, view, record } = await runToEnd(
      executionInput(shell, {
        runTask: { Overrides: sh(`if [ -e ${marker} ]; then exit 0; fi; touch ${marker}; exit 3`) },
        retry: {
          attempts: 3,
          backoffSeconds: 2,
          backoffRate: 2,
          evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }],
        },
      }),
      'SUCCEEDED',
    );
    expect(path_(events)).toEqual([
      ...ENTERS_QUEUE,
      ...['Check Capacity', 'Is There Room', 'Run Task', 'Decide Retry', 'Should Retry', 'Back Off'],
      ...['Check Capacity', 'Is There Room', 'Run Task'],
    ]);
    const backOff = events.find((e) => e.stateEnteredEventDetails?.name === 'Back Off');
    expect(JSON.parse(backOff?.stateEnteredEventDetails?.input ?? '{}').outcome.backoffSeconds).toBe(2);
    expect(view.status).toBe('SUCCEEDED');
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'FAILED',
        containers: [expect.objectContaining({ name: 'main', exitCode: 3 })],
        retry: {
          decision: 'RETRY',
          why: expect.stringMatching(
            /^evaluateOnExit\[0\] \(onExitCode "3"\) matched \(exit code 3.*\): RETRY \(1 of 3 attempts used\)\.$/,
          ),
        },
      }),
      expect.objectContaining({
        attempt: 2,
        outcome: 'SUCCEEDED',
        containers: [expect.objectContaining({ exitCode: 0 })],
      }),
    ]);
    expect(view.attempts[0]?.taskArns[0]).not.toBe(view.attempts[1]?.taskArns[0]);
    // Decide Retry recorded attempt 1's verdict; attempt 2's task is the ECS events' to record (integration tests).
    expect(record).toMatchObject({ status: 'SUCCEEDED' });
    expect(record.attempts[0]).toEqual({ ...view.attempts[0], outcome: 'FAILED' });
  });

  it('retries exit code 3 until the attempts are used, then fails', async () => {
    const { view, execution } = await runToEnd(
      executionInput(shell, {
        runTask: { Overrides: sh('exit 3') },
        retry: {
          attempts: 3,
          backoffSeconds: 1,
          backoffRate: 1,
          evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }],
        },
      }),
      'FAILED',
    );
    expect(execution.error).toBe('TaskFailed');
    expect(view.status).toBe('FAILED');
    expect(view.attempts.map((a) => [a.attempt, a.outcome, a.containers[0]?.exitCode, a.retry?.decision])).toEqual([
      [1, 'FAILED', 3, 'RETRY'],
      [2, 'FAILED', 3, 'RETRY'],
      [3, 'FAILED', 3, 'EXIT'],
    ]);
    expect(view.attempts[2]?.retry?.why).toMatch(/: RETRY, but 3 of 3 attempts used\.$/);
    expect(view.error).toEqual({ code: 'TaskFailed', message: 'Container main exited with code 3 on attempt 3 of 3.' });
  });

  it('ends at once when an EXIT rule matches the exit code', async () => {
    const { events, view } = await runToEnd(
      executionInput(shell, {
        runTask: { Overrides: sh('exit 3') },
        retry: {
          attempts: 3,
          backoffSeconds: 1,
          backoffRate: 1,
          evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }],
        },
      }),
      'FAILED',
    );
    expect(path_(events)).toEqual([
      ...ENTERS_QUEUE,
      'Check Capacity',
      'Is There Room',
      'Run Task',
      'Decide Retry',
      'Should Retry',
      'Run Failed',
    ]);
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'FAILED',
        retry: {
          decision: 'EXIT',
          why: expect.stringMatching(/^evaluateOnExit\[0\] \(onExitCode "3"\) matched .*: EXIT\.$/),
        },
      }),
    ]);
  });

  it('follows the retry policy when the task fails to start', async () => {
    const reason = 'CannotPullContainerError: pull access denied for nope';
    const { view } = await runToEnd(
      executionInput(job, {
        runTask: {
          Overrides: {
            ContainerOverrides: [
              { Name: 'main', Environment: [{ Name: 'BERTH_SIMULATE_FAIL_TO_START', Value: reason }] },
            ],
          },
        },
        retry: {
          attempts: 2,
          backoffSeconds: 1,
          backoffRate: 1,
          evaluateOnExit: [{ onExitCode: '*', action: 'EXIT' }],
        },
      }),
      'FAILED',
    );
    // No exit code: the onExitCode rule does not match, and no match means retry while attempts remain.
    expect(view.attempts.map((a) => [a.outcome, a.stopCode, a.containers[0]?.exitCode, a.retry?.decision])).toEqual([
      ['FAILED', 'TaskFailedToStart', undefined, 'RETRY'],
      ['FAILED', 'TaskFailedToStart', undefined, 'EXIT'],
    ]);
    expect(view.attempts[0]?.containers[0]?.reason).toContain('CannotPullContainerError');
    expect(view.error?.code).toBe('TaskFailed');
  });

  it('stops a timed-out attempt and ends TIMED_OUT without retrying', async () => {
    const { events, view, execution, record } = await runToEnd(
      executionInput(job, {
        runTask: {
          Overrides: {
            ContainerOverrides: [{ Name: 'main', Environment: [{ Name: 'BERTH_SIMULATE_SECONDS', Value: '600' }] }],
          },
        },
        retry: { attempts: 3, backoffSeconds: 1, backoffRate: 1, evaluateOnExit: [] },
        timeoutSeconds: 1,
      }),
      'FAILED',
    );
    expect(record).toMatchObject({
      status: 'TIMED_OUT',
      error: { code: 'TaskTimedOut' },
      // Its task is the ECS events' to record (integration tests): Decide Retry found it already stopping.
      attempts: [{ attempt: 1, outcome: 'TIMED_OUT', retry: { decision: 'EXIT' } }],
    });
    expect(path_(events)).toEqual([
      ...ENTERS_QUEUE,
      'Check Capacity',
      'Is There Room',
      'Run Task',
      'Decide Retry',
      'Should Retry',
      'Run Failed',
    ]);
    expect(events.some((e) => e.type === 'TaskTimedOut')).toBe(true);
    expect(execution.error).toBe('TaskTimedOut');
    expect(view.status).toBe('TIMED_OUT');
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'TIMED_OUT',
        retry: expect.objectContaining({ decision: 'EXIT' }),
      }),
    ]);
    const taskArn = view.attempts[0]?.taskArns[0];
    expect(taskArn).toBeDefined();
    await until('the timed-out task to stop', async () => {
      const out = await stack.ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [taskArn!] }));
      return out.tasks?.[0]?.lastStatus === 'STOPPED';
    });
  });

  it('cancel: stopping the execution stops its task and the run reads CANCELLED', async () => {
    const input = executionInput(job, {
      runTask: {
        Overrides: {
          ContainerOverrides: [{ Name: 'main', Environment: [{ Name: 'BERTH_SIMULATE_SECONDS', Value: '600' }] }],
        },
      },
    });
    const arn = await stack.start(input);
    await until('the task to run', async () => (await statusOf(arn)) === 'RUNNING');
    const running = await viewOf(stack, arn);
    const taskArn = running.attempts[0]?.taskArns[0];
    expect(taskArn).toBeDefined();
    await stack.sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Cancelled', cause: 'Cancelled by the test.' }),
    );
    const execution = await stack.finished(arn);
    expect(execution.status).toBe('ABORTED');
    const view = await viewOf(stack, arn);
    expect(view).toMatchObject({
      status: 'CANCELLED',
      error: { code: 'Cancelled', message: 'Cancelled by the test.' },
    });
    expect(view.attempts.map((a) => a.outcome)).toEqual(['CANCELLED']);
    expect(await stack.settle(arn)).toMatchObject({
      status: 'CANCELLED',
      terminalSource: 'execution',
      error: { code: 'Cancelled', message: 'Cancelled by the test.' },
    });
    await until('the cancelled task to stop', async () => {
      const out = await stack.ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [taskArn!] }));
      return out.tasks?.[0]?.lastStatus === 'STOPPED';
    });
  });
});
