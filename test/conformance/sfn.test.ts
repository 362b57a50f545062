/**
 * The local Step Functions endpoint through an unmodified @aws-sdk/client-sfn: state machines, executions of
 * Pass/Choice/Wait/Fail machines, Lambda tasks through the in-process invoker with Retry and Catch,
 * ecs:runTask.sync against the local ECS, StartExecution idempotency, StopExecution, history paging and
 * restart recovery. Waits and retry intervals are scaled down (timeScale), so nothing sleeps for real.
 * Error tests assert the exception, the HTTP status and the message.
 */
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { localEcsServices } from '../../local/ecs/service';
import { ensureStateMachine } from '../../local/sfn/ensure';
import { type InProcessHandler, inProcessInvoker } from '../../local/sfn/lambda-invoke';
import { sfnService } from '../../local/sfn/service';
import { DEFAULT_CONFIG, FAST, waitForTask } from './ecs-cluster';
import { ACCOUNT_ID, type LocalEndpoint, REGION, sfnClient, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/berth-states`;
/** An hour of Wait is 36 ms here. */
const TIME_SCALE = 1e-5;

let flakyCalls = 0;
/** What `hold-once` was called with: its first call answers only once released (the endpoint goes away under it). */
const holdOnceCalls: unknown[] = [];
let releaseHold = () => {};
const handlers: Record<string, InProcessHandler> = {
  'hold-once': (event) => {
    holdOnceCalls.push(event);
    if (holdOnceCalls.length === 1) {
      return new Promise((resolve) => {
        releaseHold = () => resolve({ greeting: 'too late', calls: 1 });
      });
    }
    return Promise.resolve({ greeting: `hello ${(event as { who: string }).who}`, calls: holdOnceCalls.length });
  },
  async greet(event) {
    return { greeting: `hello ${(event as { who: string }).who}` };
  },
  async flaky() {
    flakyCalls++;
    const error = new Error(`attempt ${flakyCalls} failed`);
    error.name = 'FlakyError';
    throw error;
  },
};

function start(stateDir = tempStateDir(), finishedInMemory?: number): Promise<LocalEndpoint> {
  const [ecs, admin] = localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST });
  return startLocalEndpoint(stateDir, {
    services: [
      ecs,
      admin,
      sfnService({
        invokeLambda: inProcessInvoker(handlers, { region: REGION, accountId: ACCOUNT_ID }),
        timeScale: TIME_SCALE,
        ecsPollIntervalMs: 5,
        stopGraceMs: 5_000,
        ...(finishedInMemory !== undefined && { finishedInMemory }),
      }),
    ],
  });
}

let endpoint: LocalEndpoint;
let sfn: SFNClient;

beforeAll(async () => {
  endpoint = await start();
  sfn = sfnClient(endpoint.url);
});

afterAll(async () => {
  sfn.destroy();
  await endpoint.close();
});

let machineCount = 0;
async function createMachine(definition: unknown, name = `machine-${++machineCount}`): Promise<string> {
  const out = await sfn.send(
    new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }),
  );
  return out.stateMachineArn!;
}

/** Describes the execution until it is no longer RUNNING; the test's timeout bounds the wait. */
async function finished(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Like finished, on another endpoint's client. */
async function finishedOn(client: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const out = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

async function run(stateMachineArn: string, input: unknown, name?: string) {
  const { executionArn } = await sfn.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  return { executionArn: executionArn!, result: await finished(executionArn!), events: await history(executionArn!) };
}

async function awsError(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}

const types = (events: HistoryEvent[]) => events.map((e) => e.type);

const CHOICE_MACHINE = {
  Comment: 'Pass, Choice, Wait, Succeed and Fail',
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Result: { checked: true }, ResultPath: '$.prepared', Next: 'Decide' },
    Decide: {
      Type: 'Choice',
      Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Pause' }],
      Default: 'Refuse',
    },
    Pause: { Type: 'Wait', Seconds: 3600, Next: 'Name It' },
    'Name It': {
      Type: 'Pass',
      Parameters: { 'name.$': '$$.Execution.Name', 'machine.$': '$$.StateMachine.Name', 'prepared.$': '$.prepared' },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Refuse: { Type: 'Fail', Error: 'NotGoing', Cause: 'go was not true' },
  },
};

describe('Pass, Choice, Wait and Fail', () => {
  it('runs the success path with the context object, an hour-long Wait scaled down, and AWS history events', async () => {
    const arn = await createMachine(CHOICE_MACHINE, 'choices');
    const { executionArn, result, events } = await run(arn, { go: true }, 'go-1');
    expect(result).toMatchObject({
      executionArn,
      stateMachineArn: arn,
      name: 'go-1',
      status: 'SUCCEEDED',
      input: '{"go":true}',
    });
    expect(JSON.parse(result.output!)).toEqual({ name: 'go-1', machine: 'choices', prepared: { checked: true } });
    expect(result.startDate).toBeInstanceOf(Date);
    expect(result.stopDate!.getTime()).toBeGreaterThanOrEqual(result.startDate!.getTime());
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'PassStateEntered',
      'PassStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    expect(events[0]!.executionStartedEventDetails).toEqual({
      input: '{"go":true}',
      inputDetails: { truncated: false },
      roleArn: ROLE,
    });
    expect(events[1]!.stateEnteredEventDetails).toEqual({
      name: 'Prepare',
      input: '{"go":true}',
      inputDetails: { truncated: false },
    });
    expect(events[2]!.stateExitedEventDetails).toEqual({
      name: 'Prepare',
      output: '{"go":true,"prepared":{"checked":true}}',
      outputDetails: { truncated: false },
    });
    expect(events.at(-1)!.executionSucceededEventDetails?.output).toBe(result.output);
    expect(events[0]!.timestamp).toBeInstanceOf(Date);
  });

  it('ends FAILED with the Fail state’s error and cause', async () => {
    const arn = await createMachine(CHOICE_MACHINE);
    const { result, events } = await run(arn, { go: false });
    expect(result).toMatchObject({ status: 'FAILED', error: 'NotGoing', cause: 'go was not true' });
    expect(result.output).toBeUndefined();
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events.at(-1)!.executionFailedEventDetails).toEqual({ error: 'NotGoing', cause: 'go was not true' });
  });

  it('a Fail state without Error or Cause fails the execution without them, as AWS does', async () => {
    const arn = await createMachine({ StartAt: 'F', States: { F: { Type: 'Fail' } } });
    const { result, events } = await run(arn, {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toBeUndefined();
    expect(result.cause).toBeUndefined();
    expect(events.at(-1)!.executionFailedEventDetails).toEqual({});
  });

  it('scales a SecondsPath wait too, and fails States.Runtime when the path is missing', async () => {
    const arn = await createMachine({
      StartAt: 'W',
      States: { W: { Type: 'Wait', SecondsPath: '$.wait', End: true } },
    });
    expect((await run(arn, { wait: 7200 })).result.status).toBe('SUCCEEDED');
    const missing = await run(arn, {});
    expect(missing.result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(missing.result.cause).toContain('$.wait');
  });
});

describe('Parallel, Map and the execution timeout', () => {
  it('runs Parallel branches and Map iterations with their AWS events', async () => {
    const arn = await createMachine({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Greet',
              States: {
                Greet: {
                  Type: 'Task',
                  Resource: 'arn:aws:states:::lambda:invoke',
                  Parameters: { FunctionName: 'greet', Payload: { who: 'a' } },
                  OutputPath: '$.Payload',
                  End: true,
                },
              },
            },
            { StartAt: 'Nap', States: { Nap: { Type: 'Wait', Seconds: 60, End: true } } },
          ],
          ResultPath: '$.branches',
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Double',
            States: { Double: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true } },
          },
          ResultPath: '$.mapped',
          End: true,
        },
      },
    });
    const { result, events } = await run(arn, { items: [1, 2] });
    expect([result.status, result.error, result.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    const listed = types(events);
    expect(listed.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
    expect(listed).toEqual(
      expect.arrayContaining([
        'TaskScheduled',
        'TaskSucceeded',
        'WaitStateEntered',
        'WaitStateExited',
        'ParallelStateSucceeded',
        'ParallelStateExited',
      ]),
    );
    expect(listed.filter((t) => t === 'MapIterationSucceeded')).toHaveLength(2);
    expect(events.find((e) => e.type === 'MapStateStarted')!.mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(listed.slice(-3)).toEqual(['MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
  });

  it('ends TIMED_OUT when the machine’s TimeoutSeconds is spent (not scaled: the shortest one, 1 s)', async () => {
    const arn = await createMachine({
      TimeoutSeconds: 1,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 1e9, End: true } },
    });
    const { result, events } = await run(arn, {});
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBeUndefined();
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionTimedOut',
      executionTimedOutEventDetails: { error: 'States.Timeout' },
    });
  });
});

describe('Lambda tasks (arn:aws:states:::lambda:invoke) through the in-process invoker', () => {
  it('gives the optimized integration output and records TaskScheduled, TaskStarted, TaskSucceeded', async () => {
    const arn = await createMachine({
      StartAt: 'Greet',
      States: {
        Greet: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:greet`, 'Payload.$': '$' },
          TimeoutSeconds: 30,
          End: true,
        },
      },
    });
    const { result, events } = await run(arn, { who: 'berth' });
    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output!);
    expect(output).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { greeting: 'hello berth' },
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: expect.any(String) },
    });
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[2]!.taskScheduledEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: REGION,
      parameters: JSON.stringify({
        FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:greet`,
        Payload: { who: 'berth' },
      }),
      timeoutInSeconds: 30,
    });
    expect(events[3]!.taskStartedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    expect(JSON.parse(events[4]!.taskSucceededEventDetails!.output!)).toEqual(output);
  });

  it('retries a function error named by its errorType, then catches it with the Lambda error payload as cause', async () => {
    flakyCalls = 0;
    const arn = await createMachine({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'flaky', Payload: {} },
          Retry: [{ ErrorEquals: ['FlakyError'], IntervalSeconds: 60, MaxAttempts: 2, BackoffRate: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Recover' }],
          End: true,
        },
        Recover: { Type: 'Pass', End: true },
      },
    });
    const { result, events } = await run(arn, { n: 1 });
    expect(flakyCalls).toBe(3);
    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output!);
    expect(output.n).toBe(1);
    expect(output.failure.Error).toBe('FlakyError');
    expect(JSON.parse(output.failure.Cause)).toMatchObject({
      errorType: 'FlakyError',
      errorMessage: 'attempt 3 failed',
    });
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      ...['TaskScheduled', 'TaskStarted', 'TaskFailed'],
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const failed = events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails!);
    expect(failed.map((f) => [f.resourceType, f.resource, f.error])).toEqual([
      ['lambda', 'invoke', 'FlakyError'],
      ['lambda', 'invoke', 'FlakyError'],
      ['lambda', 'invoke', 'FlakyError'],
    ]);
    const cause = JSON.parse(failed[0]!.cause!);
    expect(cause).toEqual({ errorType: 'FlakyError', errorMessage: 'attempt 1 failed', trace: expect.any(Array) });
  });

  it('fails with Lambda.ResourceNotFoundException for an unknown function, and the execution takes that error', async () => {
    const arn = await createMachine({
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'nope' },
          End: true,
        },
      },
    });
    const { result, events } = await run(arn, {});
    expect(result).toMatchObject({ status: 'FAILED', error: 'Lambda.ResourceNotFoundException' });
    expect(result.cause).toBe(`Function not found: arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:nope`);
    expect(types(events).slice(-2)).toEqual(['TaskFailed', 'ExecutionFailed']);
  });

  it('fails clearly on a Task resource Berth cannot run', async () => {
    const arn = await createMachine({
      StartAt: 'Q',
      States: {
        Q: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage',
          Parameters: { QueueUrl: 'q', MessageBody: 'x' },
          End: true,
        },
      },
    });
    const { result } = await run(arn, {});
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(result.cause).toContain("'arn:aws:states:::sqs:sendMessage'");
  });

  it('times a Task out with TaskTimedOut and States.Timeout, which States.TaskFailed does not catch', async () => {
    const arn = await createMachine({
      StartAt: 'Slow',
      States: {
        Slow: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.sync',
          Parameters: { TaskDefinition: 'sleeper' },
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      },
    });
    await endpoint.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'sleeper',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sleep', '600'] }],
      }),
    );
    const { result, events } = await run(arn, {});
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'ExecutionFailed',
    ]);
    expect(events[5]!.taskTimedOutEventDetails).toMatchObject({
      resourceType: 'ecs',
      resource: 'runTask.sync',
      error: 'States.Timeout',
    });
    const taskArn = JSON.parse(events[4]!.taskSubmittedEventDetails!.output!).Tasks[0].TaskArn;
    const task = await waitForTask(endpoint.ecs, taskArn);
    expect(task.stoppedReason).toContain("state 'Slow'");
    expect(task.stoppedReason).toContain('timed out');
  });
});

describe('TimeoutSecondsPath', () => {
  const machine = () =>
    createMachine({
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.sync',
          Parameters: { 'TaskDefinition.$': '$.family' },
          TimeoutSecondsPath: '$.limits.timeout',
          Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 }],
          End: true,
        },
      },
    });

  beforeAll(async () => {
    for (const [family, command] of [
      ['path-sleeper', ['sleep', '600']],
      ['path-quick', ['sh', '-c', 'exit 0']],
    ] as const) {
      await endpoint.ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: [...command] }],
        }),
      );
    }
  });

  it('reads the timeout from the state input (not the Parameters) and times out with States.Timeout, not retried as States.TaskFailed', async () => {
    const { result, events } = await run(await machine(), { family: 'path-sleeper', limits: { timeout: 1 } });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(types(events)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'ExecutionFailed',
    ]);
    expect(events[2]!.taskScheduledEventDetails!.timeoutInSeconds).toBe(1);
    const taskArn = JSON.parse(events[4]!.taskSubmittedEventDetails!.output!).Tasks[0].TaskArn;
    expect((await waitForTask(endpoint.ecs, taskArn)).stoppedReason).toContain("state 'Run'");
  });

  it('takes a timeout beyond a Node timer (a year) without firing at once', async () => {
    const { result } = await run(await machine(), { family: 'path-quick', limits: { timeout: 31_536_000 } });
    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails States.Runtime when the path does not hold a positive integer', async () => {
    const { result } = await run(await machine(), { family: 'path-quick', limits: {} });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(result.cause).toContain('$.limits.timeout');
  });
});

describe('ecs:runTask.sync against the local ECS', () => {
  beforeAll(async () => {
    await endpoint.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'job',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sh', '-c', 'exit 0'] }],
      }),
    );
  });

  const runTaskMachine = () =>
    createMachine({
      StartAt: 'Run Task',
      States: {
        'Run Task': {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.sync',
          Parameters: {
            TaskDefinition: 'job',
            'StartedBy.$': '$$.Execution.Name',
            Overrides: { ContainerOverrides: [{ Name: 'main', 'Command.$': '$.command' }] },
          },
          End: true,
        },
      },
    });

  it('a clean exit: the STOPPED task in PascalCase, StopCode EssentialContainerExited, exit code 0', async () => {
    const arn = await runTaskMachine();
    const { result, events } = await run(arn, { command: ['sh', '-c', 'exit 0'] }, 'clean-exit');
    expect(result.status).toBe('SUCCEEDED');
    const task = JSON.parse(result.output!);
    expect(task).toMatchObject({
      LastStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StartedBy: 'clean-exit',
      Containers: [{ Name: 'main', ExitCode: 0 }],
      TaskArn: expect.stringMatching(/^arn:aws:ecs:/),
    });
    expect(typeof task.StoppedAt).toBe('number');
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
    expect(events[2]!.taskScheduledEventDetails).toMatchObject({
      resourceType: 'ecs',
      resource: 'runTask.sync',
      region: REGION,
    });
    expect(JSON.parse(events[4]!.taskSubmittedEventDetails!.output!)).toMatchObject({
      Tasks: [{ TaskArn: task.TaskArn }],
      Failures: [],
    });
  });

  it('a non-zero exit fails with States.TaskFailed and the task JSON as cause', async () => {
    const arn = await runTaskMachine();
    const { result } = await run(arn, { command: ['sh', '-c', 'exit 3'] });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(result.cause!)).toMatchObject({ LastStatus: 'STOPPED', Containers: [{ ExitCode: 3 }] });
  });

  it('a modelled ECS error surfaces as ECS.<ExceptionName>', async () => {
    const arn = await createMachine({
      StartAt: 'Run',
      States: {
        Run: {
          Type: 'Task',
          Resource: 'arn:aws:states:::ecs:runTask.sync',
          Parameters: { TaskDefinition: 'no-such-family' },
          End: true,
        },
      },
    });
    const { result } = await run(arn, {});
    expect(result.status).toBe('FAILED');
    expect(result.error).toMatch(/^ECS\.(ClientException|InvalidParameterException)$/);
    expect(result.cause).toContain('(Service: AmazonECS; Status Code: 400;');
  });

  it('StopExecution stops the ECS task with a reason naming the execution, and the execution reads ABORTED', async () => {
    const arn = await runTaskMachine();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: arn,
        name: 'cancel-me',
        input: JSON.stringify({ command: ['sleep', '600'] }),
      }),
    );
    let submitted: HistoryEvent | undefined;
    while (!submitted) {
      submitted = (await history(executionArn!)).find((e) => e.type === 'TaskSubmitted');
      if (!submitted) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const taskArn = JSON.parse(submitted.taskSubmittedEventDetails!.output!).Tasks[0].TaskArn;
    const stop = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'POST /runs/x/cancel' }),
    );
    expect(stop.stopDate).toBeInstanceOf(Date);
    const result = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(result).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'POST /runs/x/cancel' });
    const events = await history(executionArn!);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Cancelled', cause: 'POST /runs/x/cancel' },
    });
    const task = await waitForTask(endpoint.ecs, taskArn);
    expect(task.stoppedReason).toBe('Step Functions execution cancel-me was stopped (StopExecution): Cancelled');
  });
});

describe('StartExecution idempotency and names', () => {
  const HOLD = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e9, End: true } } };

  it('the same name and input while running returns the original executionArn and startDate', async () => {
    const arn = await createMachine(HOLD);
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"k":1}' }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"k":1}' }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect(first.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT_ID}:execution:${arn.split(':').pop()}:once`);

    expect(
      await awsError(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"k":2}' }))),
    ).toEqual({
      name: 'ExecutionAlreadyExists',
      status: 400,
      message: `Execution Already Exists: '${first.executionArn}'`,
    });
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    expect(
      (await awsError(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"k":1}' }))))
        .name,
    ).toBe('ExecutionAlreadyExists');
    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(listed.executions).toHaveLength(1);
  });

  it('refuses bad names, bad input and unknown machines with AWS’s exceptions', async () => {
    const arn = await createMachine(HOLD);
    expect(await awsError(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'has space' })))).toEqual({
      name: 'InvalidName',
      status: 400,
      message: "Invalid Name: 'has space'",
    });
    expect(
      (await awsError(sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: 'not json' })))).name,
    ).toBe('InvalidExecutionInput');
    expect(await awsError(sfn.send(new StartExecutionCommand({ stateMachineArn: `${arn}-gone` })))).toEqual({
      name: 'StateMachineDoesNotExist',
      status: 400,
      message: `State Machine Does Not Exist: '${arn}-gone'`,
    });
    expect(
      (
        await awsError(
          sfn.send(new DescribeExecutionCommand({ executionArn: `${arn.replace('stateMachine', 'execution')}:nope` })),
        )
      ).name,
    ).toBe('ExecutionDoesNotExist');
    expect((await awsError(sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:nope' })))).name).toBe(
      'InvalidArn',
    );
  });
});

describe('state machines', () => {
  it('validates the definition with the validator’s message, and is idempotent on name and definition', async () => {
    expect(
      await awsError(
        sfn.send(
          new CreateStateMachineCommand({
            name: 'broken',
            roleArn: ROLE,
            definition: JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }),
          }),
        ),
      ),
    ).toMatchObject({
      name: 'InvalidDefinition',
      status: 400,
      message: expect.stringMatching(/^Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET/),
    });

    const definition = JSON.stringify(CHOICE_MACHINE);
    const first = await sfn.send(new CreateStateMachineCommand({ name: 'same', definition, roleArn: ROLE }));
    const again = await sfn.send(new CreateStateMachineCommand({ name: 'same', definition, roleArn: ROLE }));
    expect(again).toMatchObject({ stateMachineArn: first.stateMachineArn, creationDate: first.creationDate });
    expect(
      await awsError(
        sfn.send(
          new CreateStateMachineCommand({
            name: 'same',
            definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }),
            roleArn: ROLE,
          }),
        ),
      ),
    ).toEqual({
      name: 'StateMachineAlreadyExists',
      status: 400,
      message: `State Machine Already Exists: '${first.stateMachineArn}'`,
    });
    expect(
      (await awsError(sfn.send(new CreateStateMachineCommand({ name: 'role', definition, roleArn: 'not-a-role' }))))
        .name,
    ).toBe('InvalidArn');
  });

  it('describes, lists, updates (executions keep the definition they started with) and deletes', async () => {
    const v1 = { StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e9, End: true } } };
    const arn = await createMachine(v1, 'lifecycle');
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({
      stateMachineArn: arn,
      name: 'lifecycle',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: ROLE,
      definition: JSON.stringify(v1),
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));

    const v2 = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };
    const updated = await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn: arn, definition: JSON.stringify(v2) }),
    );
    expect(updated.updateDate).toBeInstanceOf(Date);
    expect((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition).toBe(
      JSON.stringify(v2),
    );
    expect((await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }))).definition).toBe(
      JSON.stringify(v1),
    );
    expect((await awsError(sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn })))).name).toBe(
      'MissingRequiredParameter',
    );

    const names = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ maxResults: 2, nextToken }));
      names.push(...(page.stateMachines ?? []).map((m) => m.name));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toContain('lifecycle');

    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    expect((await awsError(sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn })))).name).toBe(
      'StateMachineDoesNotExist',
    );
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('ABORTED');
  });

  it('ensureStateMachine creates, leaves alone, then updates a changed definition', async () => {
    const definition = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const created = await ensureStateMachine(sfn, 'ensured', definition, ROLE);
    expect(created.action).toBe('created');
    expect((await ensureStateMachine(sfn, 'ensured', definition, ROLE)).action).toBe('created');
    const changed = JSON.stringify({ StartAt: 'Q', States: { Q: { Type: 'Pass', End: true } } });
    expect(await ensureStateMachine(sfn, 'ensured', changed, ROLE)).toEqual({
      stateMachineArn: created.stateMachineArn,
      action: 'updated',
    });
    expect(
      (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }))).definition,
    ).toBe(changed);
  });
});

describe('listing and paging', () => {
  it('ListExecutions lists most recent first, filters by status and pages; GetExecutionHistory pages both ways', async () => {
    const arn = await createMachine({
      StartAt: 'P',
      States: { P: { Type: 'Pass', Next: 'Q' }, Q: { Type: 'Pass', End: true } },
    });
    for (const name of ['e1', 'e2', 'e3']) await run(arn, {}, name);
    const held = await createMachine({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e9, End: true } } });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: held, name: 'r1' }));

    const first = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2 }));
    expect(first.executions!.map((e) => e.name)).toEqual(['e3', 'e2']);
    const second = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken: first.nextToken }),
    );
    expect(second.executions!.map((e) => e.name)).toEqual(['e1']);
    expect(second.nextToken).toBeUndefined();
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: held, statusFilter: 'RUNNING' }))).executions!.map(
        (e) => e.name,
      ),
    ).toEqual(['r1']);
    expect(
      (await sfn.send(new ListExecutionsCommand({ stateMachineArn: held, statusFilter: 'SUCCEEDED' }))).executions,
    ).toEqual([]);
    expect(
      (await awsError(sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, nextToken: 'garbage' })))).name,
    ).toBe('InvalidToken');

    const executionArn = first.executions![0]!.executionArn!;
    const page1 = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4 }));
    const page2 = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken: page1.nextToken }),
    );
    expect([...page1.events!, ...page2.events!].map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events!.map((e) => e.type)).toEqual(['ExecutionSucceeded', 'PassStateExited']);
    const bare = await sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(bare.events![0]!.executionStartedEventDetails).toEqual({
      inputDetails: { truncated: false },
      roleArn: ROLE,
    });
  });
});

describe('finished executions that have left memory (finishedInMemory)', () => {
  it('are described, listed and their histories paged as before, also after a restart', async () => {
    const stateDir = tempStateDir();
    let local = await start(stateDir, 1);
    let client = sfnClient(local.url);
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: 'evicted',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'P',
          States: { P: { Type: 'Pass', Result: 'x', ResultPath: '$.p', Next: 'Q' }, Q: { Type: 'Pass', End: true } },
        }),
      }),
    );
    const pages = async (executionArn: string, reverseOrder: boolean) => {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: 2, reverseOrder, nextToken }),
        );
        events.push(...page.events!);
        nextToken = page.nextToken;
      } while (nextToken);
      return events;
    };
    // Each is read while it is the most recent to finish, so still held in full.
    const seen: Array<{ described: unknown; events: HistoryEvent[] }> = [];
    for (const n of [1, 2, 3]) {
      const { executionArn } = await client.send(
        new StartExecutionCommand({ stateMachineArn, name: `e${n}`, input: JSON.stringify({ n }) }),
      );
      const { $metadata, ...described } = await finishedOn(client, executionArn!);
      seen.push({ described, events: await pages(executionArn!, false) });
    }
    const check = async () => {
      for (const { described, events } of seen) {
        const executionArn = (described as { executionArn: string }).executionArn;
        const { $metadata, ...now } = await client.send(new DescribeExecutionCommand({ executionArn }));
        expect(now).toEqual(described);
        expect(await pages(executionArn, false)).toEqual(events);
        expect(await pages(executionArn, true)).toEqual([...events].reverse());
      }
      const listed = await client.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED' }));
      expect(listed.executions!.map((e) => e.name)).toEqual(['e3', 'e2', 'e1']);
      expect(
        (await awsError(client.send(new StartExecutionCommand({ stateMachineArn, name: 'e1', input: '{"n":1}' }))))
          .name,
      ).toBe('ExecutionAlreadyExists');
    };
    expect(seen[0]!.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    await check();
    client.destroy();
    await local.close();
    local = await start(stateDir, 1);
    client = sfnClient(local.url);
    await check();
    client.destroy();
    await local.close();
  });
});

describe('restart', () => {
  /** The history once `done` holds for it; the test's timeout bounds the wait. */
  async function historyUntil(
    client: SFNClient,
    executionArn: string,
    done: (events: HistoryEvent[]) => boolean,
  ): Promise<HistoryEvent[]> {
    for (;;) {
      const events = (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events!;
      if (done(events)) return events;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  // Before issue 8 an execution left RUNNING was closed FAILED Berth.EngineRestarted at the next open; now it
  // resumes where its history says it was, and only one that cannot be resumed ends FAILED.
  it('keeps closed executions and their histories, and resumes a Wait with the time it had left', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    // 6e5 s of Wait is 6 s at this time scale.
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: 'survivor',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Hold',
          States: {
            Hold: { Type: 'Wait', Seconds: 6e5, Next: 'Context' },
            Context: {
              Type: 'Pass',
              Parameters: {
                'name.$': '$$.Execution.Name',
                'start.$': '$$.Execution.StartTime',
                'input.$': '$$.Execution.Input',
                'state.$': '$',
              },
              End: true,
            },
          },
        }),
      }),
    );
    const done = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'stopped-before' }));
    await client.send(new StopExecutionCommand({ executionArn: done.executionArn, error: 'E' }));
    const running = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'running-at-restart', input: '{"n":1}' }),
    );
    const entered = (await historyUntil(client, running.executionArn!, (e) => e.length >= 2))[1]!;
    expect(entered.type).toBe('WaitStateEntered');
    const enteredAt = entered.timestamp!.getTime();
    // Half of the wait goes by before the restart.
    while (Date.now() < enteredAt + 3000) await new Promise((resolve) => setTimeout(resolve, 50));
    const historyBefore = (await client.send(new GetExecutionHistoryCommand({ executionArn: done.executionArn })))
      .events;
    client.destroy();
    await first.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      expect((await after.send(new GetExecutionHistoryCommand({ executionArn: done.executionArn }))).events).toEqual(
        historyBefore,
      );
      const resumed = await finishedOn(after, running.executionArn!);
      expect(resumed.status).toBe('SUCCEEDED');
      expect(JSON.parse(resumed.output!)).toEqual({
        name: 'running-at-restart',
        start: running.startDate!.toISOString(),
        input: { n: 1 },
        state: { n: 1 },
      });
      const events = (await after.send(new GetExecutionHistoryCommand({ executionArn: running.executionArn }))).events!;
      expect(types(events)).toEqual([
        'ExecutionStarted',
        'WaitStateEntered',
        'WaitStateExited',
        'PassStateEntered',
        'PassStateExited',
        'ExecutionSucceeded',
      ]);
      expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
      // It waited its 6 s in all, not 6 s more after the restart (which came 3 s in).
      const waited = events[2]!.timestamp!.getTime() - enteredAt;
      expect(waited).toBeGreaterThanOrEqual(6000 - 5);
      expect(waited).toBeLessThan(9000);
      expect((await after.send(new DescribeStateMachineCommand({ stateMachineArn }))).name).toBe('survivor');
    } finally {
      after.destroy();
      await second.close();
    }
  });

  it('runs an interrupted Lambda Task again with the input it entered with, under the same TaskStateEntered', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: 'interrupted-task',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Prepare',
          States: {
            Prepare: { Type: 'Pass', Result: 'world', ResultPath: '$.who', Next: 'Greet' },
            Greet: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: 'hold-once', 'Payload.$': '$' },
              OutputPath: '$.Payload',
              End: true,
            },
          },
        }),
      }),
    );
    holdOnceCalls.length = 0;
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn, name: 'cut-short', input: '{"id":7}' }),
    );
    await historyUntil(client, executionArn!, (e) => e.some((event) => event.type === 'TaskStarted'));
    expect(holdOnceCalls).toEqual([{ id: 7, who: 'world' }]);
    client.destroy();
    await first.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      const resumed = await finishedOn(after, executionArn!);
      expect(resumed.status).toBe('SUCCEEDED');
      expect(JSON.parse(resumed.output!)).toEqual({ greeting: 'hello world', calls: 2 });
      expect(holdOnceCalls).toEqual([
        { id: 7, who: 'world' },
        { id: 7, who: 'world' },
      ]);
      const events = (await after.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
      expect(types(events)).toEqual([
        'ExecutionStarted',
        'PassStateEntered',
        'PassStateExited',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(events.map((e) => [e.id, e.previousEventId])).toEqual(events.map((_, i) => [i + 1, i]));
    } finally {
      releaseHold(); // the first call, whose endpoint is gone: its answer is nobody's now
      after.destroy();
      await second.close();
    }
  });

  it('re-attaches ecs:runTask.sync to the task it started, through RunTask with the same ClientToken', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    await first.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'resumed-sync',
        containerDefinitions: [
          { name: 'main', image: 'someimage', memory: 64, dockerLabels: { 'berth.simulate.seconds': '3' } },
        ],
      }),
    );
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: 'resumed-sync',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Run',
          States: {
            Run: {
              Type: 'Task',
              Resource: 'arn:aws:states:::ecs:runTask.sync',
              Parameters: { TaskDefinition: 'resumed-sync', 'ClientToken.$': '$$.Execution.Name' },
              End: true,
            },
          },
        }),
      }),
    );
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'sync-1' }));
    const before = await historyUntil(client, executionArn!, (e) => e.some((event) => event.type === 'TaskSubmitted'));
    const submitted = JSON.parse(before.find((e) => e.type === 'TaskSubmitted')!.taskSubmittedEventDetails!.output!);
    const taskArn: string = submitted.Tasks[0].TaskArn;
    client.destroy();
    await first.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      const resumed = await finishedOn(after, executionArn!);
      expect(resumed.status).toBe('SUCCEEDED');
      const output = JSON.parse(resumed.output!);
      expect(output).toMatchObject({ TaskArn: taskArn, LastStatus: 'STOPPED', Containers: [{ ExitCode: 0 }] });
      const events = (await after.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
      const arns = events
        .filter((e) => e.type === 'TaskSubmitted')
        .map((e) => JSON.parse(e.taskSubmittedEventDetails!.output!).Tasks[0].TaskArn);
      expect(arns).toEqual([taskArn, taskArn]);
      expect(types(events).filter((t) => t === 'TaskStateEntered')).toHaveLength(1);
    } finally {
      after.destroy();
      await second.close();
    }
  });

  it('closes an execution it cannot resume FAILED Berth.EngineRestarted, saying why', async () => {
    const stateDir = tempStateDir();
    const first = await start(stateDir);
    const client = sfnClient(first.url);
    const { stateMachineArn } = await client.send(
      new CreateStateMachineCommand({
        name: 'in-parallel',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Both',
          States: {
            Both: {
              Type: 'Parallel',
              Branches: [{ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e9, End: true } } }],
              End: true,
            },
          },
        }),
      }),
    );
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, name: 'branching' }));
    await historyUntil(client, executionArn!, (e) => e.some((event) => event.type === 'WaitStateEntered'));
    client.destroy();
    await first.close();

    const second = await start(stateDir);
    const after = sfnClient(second.url);
    try {
      const closed = await after.send(new DescribeExecutionCommand({ executionArn }));
      expect(closed).toMatchObject({ status: 'FAILED', error: 'Berth.EngineRestarted' });
      expect(closed.cause).toContain(
        "cannot be resumed: it was inside the Parallel state 'Both', whose branches' progress cannot be rebuilt",
      );
      const events = (await after.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
      expect(types(events).at(-1)).toBe('ExecutionFailed');
    } finally {
      after.destroy();
      await second.close();
    }
  });
});
