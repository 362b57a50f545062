/**
 * The callback pattern on the local Step Functions endpoint: `arn:aws:states:::lambda:invoke.waitForTaskToken`
 * with `$$.Task.Token` in its Payload, resumed by SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat from an
 * unmodified @aws-sdk/client-sfn and from the AWS CLI. The Lambda functions run through the in-process invoker
 * and hand their tokens to the test, as the admitting Lambda of a queue would keep them. Covered: success with
 * output (RequestResponse and Event invocations, and a function that calls back before its invoke returns),
 * failure matched by Catch, heartbeats and their timeout, TimeoutSeconds, the wire errors (InvalidToken,
 * TaskDoesNotExist, TaskTimedOut for closed tasks, InvalidOutput, ValidationException), StopExecution while
 * waiting, and a restart while waiting. Error tests assert the exception, the HTTP status and the message.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type InProcessHandler, inProcessInvoker } from '../../local/sfn/lambda-invoke';
import { sfnService } from '../../local/sfn/service';
import { newTaskToken } from '../../local/sfn/task-tokens';
import { DurableStore } from '../../local/store';
import { awsCli, awsCliJson } from './aws-cli';
import { ACCOUNT_ID, type LocalEndpoint, REGION, sfnClient, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/berth-states`;

/** Each call of `enqueue`: the event it got (its state and its token). */
const enqueued: Array<{ state: unknown; taskToken: string }> = [];
let clientForHandlers: SFNClient | undefined;

const handlers: Record<string, InProcessHandler> = {
  async enqueue(event) {
    enqueued.push(event as { state: unknown; taskToken: string });
    return { queued: true };
  },
  /** Admits itself before it returns: the callback comes while the invoke is still under way. */
  async 'admit-at-once'(event) {
    const { taskToken } = event as { taskToken: string };
    await clientForHandlers!.send(new SendTaskSuccessCommand({ taskToken, output: '{"admitted":"at once"}' }));
    return { sent: true };
  },
  async refuse() {
    const error = new Error('the queue is gone');
    error.name = 'QueueGone';
    throw error;
  },
};

function start(stateDir = tempStateDir()): Promise<LocalEndpoint> {
  return startLocalEndpoint(stateDir, {
    services: [
      sfnService({
        invokeLambda: inProcessInvoker(handlers, { region: REGION, accountId: ACCOUNT_ID }),
        timeScale: 1e-5,
        stopGraceMs: 5_000,
      }),
    ],
  });
}

let endpoint: LocalEndpoint;
let sfn: SFNClient;

beforeAll(async () => {
  endpoint = await start();
  sfn = sfnClient(endpoint.url);
  clientForHandlers = sfn;
});

afterAll(async () => {
  sfn.destroy();
  await endpoint.close();
});

/** A state that waits on `enqueue` for a slot, as issue 15's workflow does; `extra` is merged into it. */
function waitingMachine(extra: Record<string, unknown> = {}, next: Record<string, unknown> = {}) {
  return {
    StartAt: 'Wait For Slot',
    States: {
      'Wait For Slot': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'enqueue', Payload: { 'state.$': '$', 'taskToken.$': '$$.Task.Token' } },
        ResultPath: '$.admission',
        End: true,
        ...extra,
      },
      ...next,
    },
  };
}

let machines = 0;
async function createMachine(definition: unknown, client = sfn): Promise<string> {
  const out = await client.send(
    new CreateStateMachineCommand({
      name: `tokens-${++machines}`,
      definition: JSON.stringify(definition),
      roleArn: ROLE,
    }),
  );
  return out.stateMachineArn!;
}

async function startExecution(stateMachineArn: string, input: unknown, client = sfn): Promise<string> {
  const out = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
  return out.executionArn!;
}

/** Polls until `found` gives a value; the test's timeout bounds the wait. */
async function until<T>(found: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await found();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The token `enqueue` got for the execution whose input carried `id`. */
function tokenFor(id: string): Promise<string> {
  return until(() => enqueued.find((call) => (call.state as { id?: string }).id === id)?.taskToken);
}

async function finished(executionArn: string, client = sfn): Promise<DescribeExecutionCommandOutput> {
  return until(async () => {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  });
}

async function history(executionArn: string, client = sfn): Promise<HistoryEvent[]> {
  return (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
}

const types = (events: HistoryEvent[]) => events.map((e) => e.type);

async function awsError(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

const CLOSED = { name: 'TaskTimedOut', status: 400, message: "Task Timed Out: 'Provided task does not exist anymore'" };

describe('SendTaskSuccess', () => {
  it('resumes the state with the output JSON, through ResultSelector/ResultPath, with AWS’s history', async () => {
    const arn = await createMachine(
      waitingMachine({
        ResultSelector: { 'slot.$': '$.slot', 'queue.$': '$.queue' },
        TimeoutSecondsPath: '$.waitSeconds',
        HeartbeatSeconds: 600,
      }),
    );
    const executionArn = await startExecution(arn, { id: 'success', waitSeconds: 3600 });
    const token = await tokenFor('success');
    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(1024);
    // Waiting: the history stops at TaskSubmitted, with the function's response as its output.
    const waiting = await until(async () => {
      const events = await history(executionArn);
      return events.some((e) => e.type === 'TaskSubmitted') ? events : undefined;
    });
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    const submitted = waiting.find((e) => e.type === 'TaskSubmitted')!.taskSubmittedEventDetails!;
    expect(submitted).toMatchObject({ resourceType: 'lambda', resource: 'invoke.waitForTaskToken' });
    expect(JSON.parse(submitted.output!)).toMatchObject({ Payload: { queued: true }, StatusCode: 200 });

    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"slot":3,"queue":"nightly","x":1}' }));
    const result = await finished(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({
      id: 'success',
      waitSeconds: 3600,
      admission: { slot: 3, queue: 'nightly' },
    });
    const events = await history(executionArn);
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2]!.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: REGION,
      parameters: JSON.stringify({
        FunctionName: 'enqueue',
        Payload: { state: { id: 'success', waitSeconds: 3600 }, taskToken: token },
      }),
      timeoutInSeconds: 3600,
      heartbeatInSeconds: 600,
    });
    expect(events[5]!.taskSucceededEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      output: '{"slot":3,"queue":"nightly","x":1}',
      outputDetails: { truncated: false },
    });
    // The task is closed now: the same token again, or a failure or heartbeat for it, is TaskTimedOut.
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual(CLOSED);
    expect(await awsError(sfn.send(new SendTaskFailureCommand({ taskToken: token })))).toEqual(CLOSED);
    expect(await awsError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })))).toEqual(CLOSED);
  });

  it('gives every execution its own token, and takes an Event invocation (StatusCode 202) and any JSON output', async () => {
    const arn = await createMachine(
      waitingMachine({
        Parameters: {
          FunctionName: 'enqueue',
          InvocationType: 'Event',
          Payload: { 'state.$': '$', 'taskToken.$': '$$.Task.Token' },
        },
      }),
    );
    const first = await startExecution(arn, { id: 'event-1' });
    const second = await startExecution(arn, { id: 'event-2' });
    const [token1, token2] = [await tokenFor('event-1'), await tokenFor('event-2')];
    expect(token1).not.toBe(token2);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token2, output: '"second"' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token1, output: '[1,2]' }));
    expect(JSON.parse((await finished(first)).output!).admission).toEqual([1, 2]);
    expect(JSON.parse((await finished(second)).output!).admission).toBe('second');
    const submitted = (await history(first)).find((e) => e.type === 'TaskSubmitted')!;
    expect(JSON.parse(submitted.taskSubmittedEventDetails!.output!)).toMatchObject({ Payload: null, StatusCode: 202 });
  });

  it('takes a callback sent by the invoked function before its invoke returns', async () => {
    const arn = await createMachine(
      waitingMachine({
        Parameters: { FunctionName: 'admit-at-once', Payload: { 'taskToken.$': '$$.Task.Token' } },
      }),
    );
    const executionArn = await startExecution(arn, { id: 'at-once' });
    const result = await finished(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!).admission).toEqual({ admitted: 'at once' });
    expect(types(await history(executionArn))).toContain('TaskSubmitted');
  });
});

describe('SendTaskFailure', () => {
  it('fails the state with the error and cause given, which a Catch matches (sent with the AWS CLI)', async () => {
    const arn = await createMachine(
      waitingMachine(
        {
          End: undefined,
          Next: 'Admitted',
          Catch: [{ ErrorEquals: ['QueueClosed'], ResultPath: '$.refused', Next: 'Refused' }],
        },
        { Admitted: { Type: 'Succeed' }, Refused: { Type: 'Pass', End: true } },
      ),
    );
    const executionArn = await startExecution(arn, { id: 'refused' });
    const token = await tokenFor('refused');
    const sent = await awsCli(
      'stepfunctions',
      endpoint.url,
      'send-task-failure',
      '--task-token',
      token,
      '--error',
      'QueueClosed',
      '--cause',
      'the queue nightly is paused',
    );
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    const result = await finished(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({
      id: 'refused',
      refused: { Error: 'QueueClosed', Cause: 'the queue nightly is paused' },
    });
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'TaskFailed')!.taskFailedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'QueueClosed',
      cause: 'the queue nightly is paused',
    });
    expect(types(events)).toContain('PassStateEntered');
    // The AWS CLI gets TaskTimedOut for the closed task, as from AWS.
    const again = await awsCli(
      'stepfunctions',
      endpoint.url,
      'send-task-success',
      '--task-token',
      token,
      '--task-output',
      '{}',
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(
      "An error occurred (TaskTimedOut) when calling the SendTaskSuccess operation: Task Timed Out: 'Provided task does not exist anymore'",
    );
  });

  it('fails the execution with the error when nothing catches it, and a function error fails the state as a plain invoke', async () => {
    const arn = await createMachine(waitingMachine());
    const executionArn = await startExecution(arn, { id: 'uncaught' });
    await sfn.send(new SendTaskFailureCommand({ taskToken: await tokenFor('uncaught'), error: 'Nope', cause: 'why' }));
    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'Nope', cause: 'why' });

    const refusing = await createMachine(
      waitingMachine({ Parameters: { FunctionName: 'refuse', Payload: { 'taskToken.$': '$$.Task.Token' } } }),
    );
    const failed = await finished(await startExecution(refusing, {}));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'QueueGone' });
    expect(types(await history(failed.executionArn!))).not.toContain('TaskSubmitted');
  });
});

describe('heartbeats and timeouts', () => {
  it('SendTaskHeartbeat keeps the task alive; without one in HeartbeatSeconds it fails States.HeartbeatTimeout, retried with a new token', async () => {
    const arn = await createMachine(
      waitingMachine(
        {
          HeartbeatSeconds: 1,
          Retry: [{ ErrorEquals: ['States.Timeout'], MaxAttempts: 1, IntervalSeconds: 1 }],
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Wrongly Caught' }],
        },
        { 'Wrongly Caught': { Type: 'Fail', Error: 'CaughtAsTaskFailed' } },
      ),
    );
    const executionArn = await startExecution(arn, { id: 'heartbeat' });
    const token = await tokenFor('heartbeat');
    const startedAt = Date.now();
    // Heartbeats every 400 ms keep it waiting past its HeartbeatSeconds.
    while (Date.now() - startedAt < 1800) {
      await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    // Then none: the attempt times out, the retrier naming States.Timeout retries it with a new token.
    const retried = await until(() => {
      const calls = enqueued.filter((call) => (call.state as { id?: string }).id === 'heartbeat');
      return calls.length === 2 ? calls[1]!.taskToken : undefined;
    });
    expect(retried).not.toBe(token);
    expect(await awsError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })))).toEqual(CLOSED);
    // The retry sends no heartbeat either: the execution fails with States.HeartbeatTimeout, not caught as
    // States.TaskFailed.
    const result = await finished(executionArn);
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const events = await history(executionArn);
    const timedOut = events.filter((e) => e.type === 'TaskTimedOut');
    expect(timedOut.map((e) => e.taskTimedOutEventDetails)).toEqual([
      { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.HeartbeatTimeout' },
      { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: 'States.HeartbeatTimeout' },
    ]);
    const retriedAt = events.filter((e) => e.type === 'TaskScheduled')[1]!.timestamp!.getTime();
    expect(timedOut[1]!.timestamp!.getTime() - retriedAt).toBeGreaterThanOrEqual(1000 - 5);
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: retried, output: '{}' })))).toEqual(CLOSED);
  });

  it('TimeoutSecondsPath ends the wait with States.Timeout, which a Catch takes (a queue wait that expires)', async () => {
    const arn = await createMachine(
      waitingMachine(
        {
          TimeoutSecondsPath: '$.queue.maxQueuedSeconds',
          End: undefined,
          Next: 'Admitted',
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' }],
        },
        { Admitted: { Type: 'Succeed' }, Expired: { Type: 'Fail', Error: 'QueueTimeLimitExceeded' } },
      ),
    );
    const executionArn = await startExecution(arn, { id: 'expired', queue: { maxQueuedSeconds: 1 } });
    const token = await tokenFor('expired');
    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'QueueTimeLimitExceeded' });
    const events = await history(executionArn);
    expect(types(events).filter((t) => t === 'TaskTimedOut')).toHaveLength(1);
    expect(events.find((e) => e.type === 'TaskTimedOut')!.taskTimedOutEventDetails!.error).toBe('States.Timeout');
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual(CLOSED);
  });

  it('reads HeartbeatSecondsPath from the state input, and fails States.Runtime when it holds no positive integer', async () => {
    const arn = await createMachine(waitingMachine({ HeartbeatSecondsPath: '$.heartbeat' }));
    const executionArn = await startExecution(arn, { id: 'heartbeat-path', heartbeat: 1 });
    await tokenFor('heartbeat-path');
    expect(await finished(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    const scheduled = (await history(executionArn)).find((e) => e.type === 'TaskScheduled')!;
    expect(scheduled.taskScheduledEventDetails!.heartbeatInSeconds).toBe(1);
    const bad = await finished(await startExecution(arn, { id: 'heartbeat-bad', heartbeat: 'soon' }));
    expect(bad).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(bad.cause).toBe(
      `The HeartbeatSecondsPath parameter does not reference a positive integer: '$.heartbeat' is "soon".`,
    );
  });

  it('TimeoutSeconds ends the wait with States.Timeout and closes the token', async () => {
    const arn = await createMachine(waitingMachine({ TimeoutSeconds: 1 }));
    const executionArn = await startExecution(arn, { id: 'timeout' });
    const token = await tokenFor('timeout');
    const result = await finished(executionArn);
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const events = await history(executionArn);
    expect(events.find((e) => e.type === 'TaskTimedOut')!.taskTimedOutEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'States.Timeout',
    });
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual(CLOSED);
  });
});

describe('StopExecution', () => {
  it('ends the wait: the execution is ABORTED and its token answers TaskTimedOut', async () => {
    const arn = await createMachine(waitingMachine());
    const executionArn = await startExecution(arn, { id: 'stopped' });
    const token = await tokenFor('stopped');
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'berth runs cancel' }));
    expect(await finished(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Cancelled' });
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual(CLOSED);
    const events = await history(executionArn);
    expect(types(events).at(-1)).toBe('ExecutionAborted');
    expect(types(events)).not.toContain('TaskSucceeded');
  });
});

describe('the wire: what SendTask* refuse', () => {
  it('answers InvalidToken, TaskDoesNotExist, InvalidOutput and ValidationException as AWS does', async () => {
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })))).toEqual({
      name: 'InvalidToken',
      status: 400,
      message: "Invalid Token: 'Invalid token'",
    });
    expect(await awsError(sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'AQ==junk' })))).toMatchObject({
      name: 'InvalidToken',
    });
    const neverGiven = newTaskToken(`arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:nothing:here`);
    expect(await awsError(sfn.send(new SendTaskFailureCommand({ taskToken: neverGiven })))).toEqual({
      name: 'TaskDoesNotExist',
      status: 400,
      message: "Task Does Not Exist: 'Provided task does not exist'",
    });
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: '', output: '{}' })))).toEqual({
      name: 'ValidationException',
      status: 400,
      message:
        "1 validation error detected: Value '' at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
    });

    const arn = await createMachine(waitingMachine());
    const executionArn = await startExecution(arn, { id: 'wire' });
    const token = await tokenFor('wire');
    expect(
      await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))),
    ).toMatchObject({ name: 'InvalidOutput', status: 400, message: expect.stringMatching(/^Invalid Output: '.+'$/) });
    // 100,000 three-byte characters: within the model's 262,144 characters, over the 256 KiB payload quota.
    const tooBig = JSON.stringify('€'.repeat(100_000));
    expect(await awsError(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: tooBig })))).toEqual({
      name: 'InvalidOutput',
      status: 400,
      message: "Invalid Output: 'The output is over 262144 bytes'",
    });
    expect(
      await awsError(sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'E'.repeat(257) }))),
    ).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        "at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
      ),
    });
    // None of these touched the task: it still takes its outcome.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"ok":true}' }));
    expect(JSON.parse((await finished(executionArn)).output!).admission).toEqual({ ok: true });
  });
});

describe('restart', () => {
  it('an execution waiting on a token goes on waiting after a restart, and the same token resumes it (AWS CLI)', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    const arn = await createMachine(waitingMachine({ HeartbeatSeconds: 600, TimeoutSeconds: 3600 }), client);
    const executionArn = await startExecution(arn, { id: 'restart' }, client);
    const token = await tokenFor('restart');
    await until(async () =>
      (await history(executionArn, client)).some((e) => e.type === 'TaskSubmitted') ? true : undefined,
    );
    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    client.destroy();
    await first.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      // Still waiting, and the function was not invoked again.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await after.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
      expect(enqueued.filter((call) => (call.state as { id?: string }).id === 'restart')).toHaveLength(1);
      await awsCliJson(
        'stepfunctions',
        second.url,
        'send-task-success',
        '--task-token',
        token,
        '--task-output',
        '{"slot":1}',
      );
      const result = await finished(executionArn, after);
      expect(result.status).toBe('SUCCEEDED');
      expect(JSON.parse(result.output!).admission).toEqual({ slot: 1 });
      const events = await history(executionArn, after);
      expect(types(events)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    } finally {
      after.destroy();
      await second.close();
    }
  });

  it('an outcome acknowledged just before the endpoint died is what the resumed state takes, without a new invoke', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    const arn = await createMachine(waitingMachine(), client);
    const executionArn = await startExecution(arn, { id: 'acknowledged' }, client);
    const token = await tokenFor('acknowledged');
    await until(async () =>
      (await history(executionArn, client)).some((e) => e.type === 'TaskSubmitted') ? true : undefined,
    );
    client.destroy();
    await first.close();
    // What a crash leaves when SendTaskSuccess was answered (its outcome is on disk) before the state took it: the
    // token's record SUCCEEDED, the history still at TaskSubmitted. The journal is written as the endpoint would.
    const store = await DurableStore.open<Record<string, unknown>>(stateDir, 'sfn');
    const [key, record] = [...store.entries('tt/')].find(([, value]) => value.token === token)!;
    await store.put(key, { ...record, status: 'SUCCEEDED', output: '{"slot":9}' });
    await store.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      const result = await finished(executionArn, after);
      expect(result.status).toBe('SUCCEEDED');
      expect(JSON.parse(result.output!).admission).toEqual({ slot: 9 });
      const events = await history(executionArn, after);
      expect(types(events)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(enqueued.filter((call) => (call.state as { id?: string }).id === 'acknowledged')).toHaveLength(1);
      expect(await awsError(after.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })))).toEqual(
        CLOSED,
      );
    } finally {
      after.destroy();
      await second.close();
    }
  });
});
