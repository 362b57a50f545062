import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ecsRunTaskDriver,
  pollBackoffMs,
  stoppedTaskFailed,
  toCamelCase,
  toPascalCase,
} from '../../../../local/sfn/ecs-run-task';
import type { NewEvent } from '../../../../local/sfn/history';
import { EngineShutdown, type TaskContext } from '../../../../local/sfn/task-driver';
import { TaskCancelledError, TaskError } from '../../../../local/sfn/task-error';

const ecsMock = mockClient(ECSClient);
const client = new ECSClient({ region: 'us-east-1' });
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/default';
const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/abc';
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1';

function task(overrides: Partial<Task> = {}): Task {
  return {
    taskArn: TASK_ARN,
    clusterArn: CLUSTER,
    taskDefinitionArn: TD_ARN,
    lastStatus: 'PENDING',
    createdAt: new Date(1_700_000_000_000),
    containers: [{ name: 'main', lastStatus: 'PENDING' }],
    ...overrides,
  };
}

function stopped(exitCodes: Record<string, number | undefined>, overrides: Partial<Task> = {}): Task {
  return task({
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: Object.entries(exitCodes).map(([name, exitCode]) => ({ name, lastStatus: 'STOPPED', exitCode })),
    ...overrides,
  });
}

function context(signal = new AbortController().signal) {
  const events: NewEvent[] = [];
  const ctx: TaskContext = {
    signal,
    emit: async (event) => {
      events.push(event);
    },
    stateName: 'Run Task',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:e',
    region: 'us-east-1',
    taskToken: 'not-used-by-runTask',
  };
  return { ctx, events };
}

const driver = (sync = true) => ecsRunTaskDriver({ ecs: async () => client, pollIntervalMs: 1 }, sync);

function essentials(containers: Array<{ name: string; essential?: boolean }>) {
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: TD_ARN, containerDefinitions: containers },
  });
}

async function failure(promise: Promise<unknown>): Promise<TaskError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected the task to fail');
}

beforeEach(() => {
  ecsMock.reset();
  essentials([{ name: 'main' }]);
});

describe('ecs:runTask.sync driver', () => {
  it('maps PascalCase parameters to RunTask, defaults StartedBy, and returns the STOPPED task in PascalCase', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()], failures: [] });
    ecsMock
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [task({ lastStatus: 'RUNNING' })] })
      .resolves({ tasks: [stopped({ main: 0 })] });
    const { ctx, events } = context();
    const output = (await driver().run(
      {
        Cluster: 'default',
        TaskDefinition: 'job:1',
        Overrides: {
          ContainerOverrides: [
            { Name: 'main', Command: ['sh', '-c', 'exit 0'], Environment: [{ Name: 'A', Value: 'b' }] },
          ],
        },
      },
      ctx,
    )) as Record<string, unknown>;
    expect(ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input).toEqual({
      cluster: 'default',
      taskDefinition: 'job:1',
      overrides: {
        containerOverrides: [
          { name: 'main', command: ['sh', '-c', 'exit 0'], environment: [{ name: 'A', value: 'b' }] },
        ],
      },
      startedBy: 'AWS Step Functions',
    });
    expect(output).toMatchObject({
      TaskArn: TASK_ARN,
      LastStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      StoppedReason: 'Essential container in task exited',
      Containers: [{ Name: 'main', ExitCode: 0, LastStatus: 'STOPPED' }],
      CreatedAt: 1_700_000_000_000,
    });
    expect(events).toEqual([
      {
        type: 'TaskSubmitted',
        details: expect.objectContaining({ resourceType: 'ecs', resource: 'runTask.sync' }),
      },
    ]);
    expect(JSON.parse((events[0]!.details as { output: string }).output)).toMatchObject({
      Tasks: [{ TaskArn: TASK_ARN }],
      Failures: [],
    });
    expect(ecsMock.commandCalls(DescribeTasksCommand)[0]!.args[0].input).toEqual({
      cluster: CLUSTER,
      tasks: [TASK_ARN],
    });
  });

  it('keeps a StartedBy the state gives', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [stopped({ main: 0 })] });
    await driver().run({ TaskDefinition: 'job', StartedBy: 'run-1' }, context().ctx);
    expect(ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input.startedBy).toBe('run-1');
  });

  it('fails with States.TaskFailed and the task JSON as cause when an essential container exits non-zero', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [stopped({ main: 3 })] });
    const error = await failure(driver().run({ TaskDefinition: 'job' }, context().ctx));
    expect(error.error).toBe('States.TaskFailed');
    expect(JSON.parse(error.causeText)).toMatchObject({
      TaskArn: TASK_ARN,
      Containers: [{ ExitCode: 3 }],
      StopCode: 'EssentialContainerExited',
    });
  });

  it('fails when an essential container has no exit code, or the task failed to start', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [stopped({ main: undefined })] });
    expect((await failure(driver().run({ TaskDefinition: 'job' }, context().ctx))).error).toBe('States.TaskFailed');

    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        stopped(
          { main: undefined },
          { stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: no such image' },
        ),
      ],
    });
    const error = await failure(driver().run({ TaskDefinition: 'job' }, context().ctx));
    expect(JSON.parse(error.causeText)).toMatchObject({
      StopCode: 'TaskFailedToStart',
      StoppedReason: 'CannotPullContainerError: no such image',
    });
  });

  it('ignores the exit code of a non-essential container', async () => {
    essentials([{ name: 'main' }, { name: 'sidecar', essential: false }]);
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [stopped({ main: 0, sidecar: 137 })] });
    await expect(driver().run({ TaskDefinition: 'job' }, context().ctx)).resolves.toMatchObject({
      LastStatus: 'STOPPED',
    });
  });

  it('fails with AmazonECS.Unknown and the RunTask response as cause when RunTask reports failures', async () => {
    ecsMock.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [{ arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/i1', reason: 'RESOURCE:CPU' }],
    });
    const { ctx, events } = context();
    const error = await failure(driver().run({ TaskDefinition: 'job' }, ctx));
    expect(error.error).toBe('AmazonECS.Unknown');
    expect(JSON.parse(error.causeText)).toEqual({
      Tasks: [],
      Failures: [{ Arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/i1', Reason: 'RESOURCE:CPU' }],
    });
    expect(events).toEqual([]);
  });

  it('surfaces a modelled ECS exception as ECS.<Name>, an unmodelled one as ECS.AmazonECSException', async () => {
    ecsMock.on(RunTaskCommand).rejects(
      new InvalidParameterException({
        message: 'No Container Instances were found in your cluster.',
        $metadata: { httpStatusCode: 400, requestId: 'r1' },
      }),
    );
    const modelled = await failure(driver().run({ TaskDefinition: 'job' }, context().ctx));
    expect(modelled.error).toBe('ECS.InvalidParameterException');
    expect(modelled.causeText).toBe(
      'No Container Instances were found in your cluster. (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException; Request ID: r1; Proxy: null)',
    );

    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400, requestId: 'r2' },
    });
    ecsMock.on(RunTaskCommand).rejects(throttled);
    const unmodelled = await failure(driver().run({ TaskDefinition: 'job' }, context().ctx));
    expect(unmodelled.error).toBe('ECS.AmazonECSException');
    expect(unmodelled.causeText).toContain('Error Code: ThrottlingException');

    ecsMock.on(RunTaskCommand).rejects(new Error('connect ECONNREFUSED 127.0.0.1:4566'));
    expect((await failure(driver().run({ TaskDefinition: 'job' }, context().ctx))).error).toBe(
      'ECS.SdkClientException',
    );
  });

  it('keeps polling through throttled, failing and unreachable DescribeTasks calls, however many in a row', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    const serverError = Object.assign(new Error('Internal error'), {
      name: 'ServerException',
      $metadata: { httpStatusCode: 500 },
    });
    const unreachable = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    const describe = ecsMock.on(DescribeTasksCommand);
    const transient = [...Array(8).fill(throttled), serverError, serverError, unreachable, unreachable];
    for (const err of transient) describe.rejectsOnce(err);
    describe.resolves({ tasks: [stopped({ main: 0 })] });
    const backingOff = ecsRunTaskDriver({ ecs: async () => client, pollIntervalMs: 1, maxPollBackoffMs: 20 }, true);
    const out = await backingOff.run({ TaskDefinition: 'job' }, context().ctx);
    expect(out).toMatchObject({ LastStatus: 'STOPPED' });
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(transient.length + 1);
  });

  it('still fails the state after maxPollErrors other DescribeTasks errors in a row', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    ecsMock
      .on(DescribeTasksCommand)
      .rejects(new InvalidParameterException({ message: 'bad', $metadata: { httpStatusCode: 400, requestId: 'r' } }));
    expect((await failure(driver().run({ TaskDefinition: 'job' }, context().ctx))).error).toBe(
      'ECS.InvalidParameterException',
    );
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(5);
  });

  it('stops the running task with the reason when the state is cancelled', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task({ lastStatus: 'RUNNING' })] });
    ecsMock.on(StopTaskCommand).resolves({});
    const controller = new AbortController();
    const running = driver().run({ TaskDefinition: 'job' }, context(controller.signal).ctx);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort('Step Functions execution e was stopped (StopExecution)');
    await expect(running).rejects.toBeInstanceOf(TaskCancelledError);
    expect(ecsMock.commandCalls(StopTaskCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, reason: 'Step Functions execution e was stopped (StopExecution)' },
    ]);
  });

  it('stops waiting, polls no more and leaves the task running when the endpoint shuts down under it', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()] });
    // An endpoint that is gone: every poll fails as unreachable, which alone would be retried for ever.
    ecsMock
      .on(DescribeTasksCommand)
      .rejects(
        Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED', $metadata: {} }),
      );
    const controller = new AbortController();
    const running = driver().run({ TaskDefinition: 'job' }, context(controller.signal).ctx);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new EngineShutdown());
    await expect(running).rejects.toBeInstanceOf(TaskCancelledError);
    const polls = ecsMock.commandCalls(DescribeTasksCommand).length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(polls);
    expect(ecsMock.commandCalls(StopTaskCommand)).toEqual([]);
  });

  it('refuses parameters RunTask does not have, and a missing TaskDefinition, with States.Runtime', async () => {
    expect((await failure(driver().run({ TaskDefinition: 'job', Bogus: 1 }, context().ctx))).error).toBe(
      'States.Runtime',
    );
    expect((await failure(driver().run({ Cluster: 'default' }, context().ctx))).causeText).toContain(
      "'TaskDefinition'",
    );
    expect(ecsMock.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  it('plain ecs:runTask returns the RunTask response without waiting or failing on failures', async () => {
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()], failures: [{ reason: 'RESOURCE:MEMORY' }] });
    await expect(driver(false).run({ TaskDefinition: 'job' }, context().ctx)).resolves.toMatchObject({
      Tasks: [{ TaskArn: TASK_ARN }],
      Failures: [{ Reason: 'RESOURCE:MEMORY' }],
    });
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('pollBackoffMs', () => {
  it.each([
    [0, 0.5, 100],
    [1, 0, 100],
    [1, 0.5, 200],
    [3, 0.999, 899],
    [20, 0.999, 10_000],
  ])('after %i transient failures (random %d) waits %i ms', (failures, random, ms) => {
    expect(pollBackoffMs(100, failures, 10_000, () => random)).toBe(ms);
  });
});

describe('case mapping and the failure rule', () => {
  it.each([
    [
      {
        TaskDefinition: 'x',
        EnableECSManagedTags: true,
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
      },
      {
        taskDefinition: 'x',
        enableECSManagedTags: true,
        networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'ENABLED' } },
      },
    ],
    [{ Tags: [{ Key: 'Team', Value: 'Jobs' }] }, { tags: [{ key: 'Team', value: 'Jobs' }] }],
  ])('toCamelCase(%j)', (input, expected) => {
    expect(toCamelCase(input)).toEqual(expected);
  });

  it('toPascalCase turns dates into epoch milliseconds and drops undefined members', () => {
    expect(toPascalCase({ stoppedAt: new Date(5), stopCode: undefined, containers: [{ exitCode: 0 }] })).toEqual({
      StoppedAt: 5,
      Containers: [{ ExitCode: 0 }],
    });
  });

  it.each([
    [stopped({ main: 0 }), undefined, false],
    [stopped({ main: 1 }), undefined, true],
    [stopped({ main: 0, side: 2 }), new Set(['main']), false],
    [stopped({ main: 0, side: 2 }), new Set(['main', 'side']), true],
    [stopped({}), undefined, true],
    [stopped({ main: 0 }, { stopCode: 'TaskFailedToStart' }), undefined, true],
  ])('stoppedTaskFailed #%#', (t, essential, failed) => {
    expect(stoppedTaskFailed(t, essential)).toBe(failed);
  });
});

describe('ecs:runTask.sync driven by the local ECS’s task stops', () => {
  /** A stand-in for the endpoint's channel: `stop(arn)` is the STOPPED event of a task. */
  function stops() {
    const listeners = new Set<(arn: string) => void>();
    return {
      taskStops: (listener: (arn: string) => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      stop: (arn: string) => {
        for (const listener of listeners) listener(arn);
      },
      get listening() {
        return listeners.size;
      },
    };
  }

  it('ends on the STOPPED event with one DescribeTasks, however long the fallback poll', async () => {
    const source = stops();
    let taskStopped = false;
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()], failures: [] });
    ecsMock.on(DescribeTasksCommand).callsFake(() => ({ tasks: [taskStopped ? stopped({ main: 0 }) : task()] }));
    essentials([{ name: 'main' }]);
    const sync = ecsRunTaskDriver(
      { ecs: async () => client, pollIntervalMs: 1, taskStops: source.taskStops, fallbackPollMs: 60_000 },
      true,
    );
    const started = Date.now();
    const result = sync.run({ TaskDefinition: 'job' }, context().ctx);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    taskStopped = true;
    source.stop('arn:aws:ecs:us-east-1:123456789012:task/default/another');
    source.stop(TASK_ARN);
    expect(await result).toMatchObject({ TaskArn: TASK_ARN, LastStatus: 'STOPPED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
    expect(source.listening).toBe(0);
  });

  it('takes a stop seen before RunTask answered', async () => {
    const source = stops();
    ecsMock.on(RunTaskCommand).callsFake(async () => {
      source.stop(TASK_ARN);
      return { tasks: [task()], failures: [] };
    });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [stopped({ main: 0 })] });
    essentials([{ name: 'main' }]);
    const sync = ecsRunTaskDriver(
      { ecs: async () => client, pollIntervalMs: 1, taskStops: source.taskStops, fallbackPollMs: 60_000 },
      true,
    );
    expect(await sync.run({ TaskDefinition: 'job' }, context().ctx)).toMatchObject({ LastStatus: 'STOPPED' });
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it('still finds the stop by the fallback poll when no event comes', async () => {
    const source = stops();
    let polls = 0;
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()], failures: [] });
    ecsMock.on(DescribeTasksCommand).callsFake(() => ({ tasks: [++polls >= 2 ? stopped({ main: 0 }) : task()] }));
    essentials([{ name: 'main' }]);
    const sync = ecsRunTaskDriver(
      { ecs: async () => client, pollIntervalMs: 1, taskStops: source.taskStops, fallbackPollMs: 20 },
      true,
    );
    expect(await sync.run({ TaskDefinition: 'job' }, context().ctx)).toMatchObject({ LastStatus: 'STOPPED' });
    expect(polls).toBe(2);
  });

  it('polls at the short interval, not spinning, when the event came but DescribeTasks does not show it yet', async () => {
    const source = stops();
    let polls = 0;
    ecsMock.on(RunTaskCommand).callsFake(async () => {
      source.stop(TASK_ARN);
      return { tasks: [task()], failures: [] };
    });
    ecsMock.on(DescribeTasksCommand).callsFake(() => ({ tasks: [++polls >= 3 ? stopped({ main: 0 }) : task()] }));
    essentials([{ name: 'main' }]);
    const sync = ecsRunTaskDriver(
      { ecs: async () => client, pollIntervalMs: 15, taskStops: source.taskStops, fallbackPollMs: 60_000 },
      true,
    );
    const started = Date.now();
    expect(await sync.run({ TaskDefinition: 'job' }, context().ctx)).toMatchObject({ LastStatus: 'STOPPED' });
    expect(polls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('stops waiting when the execution is stopped, and stops the task', async () => {
    const source = stops();
    ecsMock.on(RunTaskCommand).resolves({ tasks: [task()], failures: [] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task()] });
    ecsMock.on(StopTaskCommand).resolves({});
    const controller = new AbortController();
    const sync = ecsRunTaskDriver(
      { ecs: async () => client, pollIntervalMs: 1, taskStops: source.taskStops, fallbackPollMs: 60_000 },
      true,
    );
    const result = sync.run({ TaskDefinition: 'job' }, context(controller.signal).ctx);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort(new Error('StopExecution'));
    await expect(result).rejects.toBeInstanceOf(TaskCancelledError);
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(1);
    expect(source.listening).toBe(0);
  });
});
