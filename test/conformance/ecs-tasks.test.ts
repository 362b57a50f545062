/**
 * The local ECS cluster through an unmodified AWS SDK client: clusters, container instances, RunTask placement
 * and its refusals, the task lifecycle with process and simulated containers, StopTask, ListTasks, clientToken
 * idempotency, and the BerthLocal admin service (faults, agents, hosts, logs). Error tests assert the exception,
 * the HTTP status and the message.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListClustersCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { admin, clusterConfig, resource, startEcsEndpoint, waitForTask, withoutRuntimeNotes } from './ecs-cluster';
import { ACCOUNT_ID, example, type LocalEndpoint, REGION } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
let ecs: ECSClient;

const FARGATE_NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

async function register(input: Record<string, unknown>) {
  const out = await ecs.send(new RegisterTaskDefinitionCommand(input as unknown as RegisterTaskDefinitionCommandInput));
  return out.taskDefinition!;
}

/** A bridge-mode EC2 definition of one container. */
function ec2Definition(family: string, container: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return register({
    family,
    containerDefinitions: [{ name: 'main', image: 'busybox', memory: 128, ...container }],
    ...extra,
  });
}

async function runError(input: RunTaskCommandInput) {
  return ecs.send(new RunTaskCommand(input)).then(
    () => {
      throw new Error('RunTask succeeded');
    },
    (err: { name: string; message: string; $metadata: { httpStatusCode?: number } }) => ({
      name: err.name,
      message: err.message,
      status: err.$metadata.httpStatusCode,
    }),
  );
}

async function instances(cluster?: string) {
  const list = await ecs.send(new ListContainerInstancesCommand({ cluster }));
  const out = await ecs.send(
    new DescribeContainerInstancesCommand({ cluster, containerInstances: list.containerInstanceArns }),
  );
  return out.containerInstances!;
}

beforeAll(async () => {
  endpoint = await startEcsEndpoint({
    clusterConfig: clusterConfig({
      clusters: [
        { name: 'default', instances: [{ count: 3, cpu: 2048, memory: 3840, availabilityZones: ['a', 'b'] }] },
        { name: 'empty', instances: [] },
        {
          name: 'wide',
          instances: [{ count: 5, instanceType: 't3.small', cpu: 2048, memory: 2048, attributes: { tier: 'batch' } }],
        },
      ],
    }),
  });
  ecs = endpoint.ecs;
  await register(example());
});

afterAll(async () => {
  await endpoint?.close();
});

describe('clusters', () => {
  it('has the default cluster from the config, with its instances counted', async () => {
    const out = await ecs.send(new DescribeClustersCommand({ clusters: ['default', 'nope'] }));
    expect(out.clusters).toEqual([
      expect.objectContaining({
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/default`,
        clusterName: 'default',
        status: 'ACTIVE',
        registeredContainerInstancesCount: 3,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        // A config cluster has the Fargate providers associated, as a console-made one does (a run may name them).
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      }),
    ]);
    expect(out.failures).toEqual([{ arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:cluster/nope`, reason: 'MISSING' }]);
    const listed = await ecs.send(new ListClustersCommand({}));
    expect(listed.clusterArns?.map((a) => a.split('/')[1])).toEqual(['default', 'empty', 'wide']);
  });

  it('creates idempotently, pages ListClusters, and deletes only an empty cluster', async () => {
    const created = await ecs.send(new CreateClusterCommand({ clusterName: 'jobs', tags: [{ key: 't', value: 'v' }] }));
    expect(created.cluster).toMatchObject({ clusterName: 'jobs', status: 'ACTIVE', tags: [{ key: 't', value: 'v' }] });
    const again = await ecs.send(new CreateClusterCommand({ clusterName: 'jobs' }));
    expect(again.cluster?.clusterArn).toBe(created.cluster?.clusterArn);
    const first = await ecs.send(new ListClustersCommand({ maxResults: 2 }));
    const second = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: first.nextToken }));
    expect([...first.clusterArns!, ...second.clusterArns!].map((a) => a.split('/')[1])).toEqual([
      'default',
      'empty',
      'jobs',
      'wide',
    ]);
    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: created.cluster!.clusterArn! }));
    expect(deleted.cluster?.status).toBe('INACTIVE');
    const gone = await ecs.send(new DescribeClustersCommand({ clusters: ['jobs'] }));
    expect(gone.clusters?.[0]?.status).toBe('INACTIVE');
    await expect(ecs.send(new ListContainerInstancesCommand({ cluster: 'jobs' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(ecs.send(new DeleteClusterCommand({ cluster: 'default' }))).rejects.toMatchObject({
      name: 'ClusterContainsContainerInstancesException',
      message: 'The Cluster cannot be deleted while Container Instances are active or draining.',
    });
    await expect(ecs.send(new RunTaskCommand({ cluster: 'nope', taskDefinition: 'x' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      message: 'Cluster not found.',
    });
  });
});

describe('container instances', () => {
  it('describes registered and remaining resources, status, agent and attributes as ECS shapes them', async () => {
    const [first] = await instances();
    expect(first).toMatchObject({
      containerInstanceArn: expect.stringMatching(
        new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT_ID}:container-instance/default/[0-9a-f]{32}$`),
      ),
      ec2InstanceId: expect.stringMatching(/^i-[0-9a-f]{17}$/),
      status: 'ACTIVE',
      agentConnected: true,
      runningTasksCount: 0,
      pendingTasksCount: 0,
      version: expect.any(Number),
    });
    expect(first?.registeredAt).toBeInstanceOf(Date);
    expect(first?.registeredResources).toEqual([
      { name: 'CPU', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 2048 },
      { name: 'MEMORY', type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: 3840 },
      {
        name: 'PORTS',
        type: 'STRINGSET',
        doubleValue: 0,
        longValue: 0,
        integerValue: 0,
        stringSetValue: ['22', '2375', '2376', '51678', '51679'],
      },
      { name: 'PORTS_UDP', type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: [] },
    ]);
    const attributes = Object.fromEntries((first?.attributes ?? []).map((a) => [a.name, a.value]));
    expect(attributes).toMatchObject({
      'ecs.instance-type': 'm5.large',
      'ecs.os-type': 'linux',
      'ecs.availability-zone': expect.stringMatching(/^us-east-1[ab]$/),
    });
    const zones = new Set(
      (await instances()).map((i) => i.attributes?.find((a) => a.name === 'ecs.availability-zone')?.value),
    );
    expect(zones).toEqual(new Set(['us-east-1a', 'us-east-1b']));

    const missing = await ecs.send(
      new DescribeContainerInstancesCommand({ containerInstances: ['0123456789abcdef0123456789abcdef'] }),
    );
    expect(missing.failures).toEqual([{ arn: '0123456789abcdef0123456789abcdef', reason: 'MISSING' }]);
  });

  it('pages, filters by status and by cluster query, and drains', async () => {
    const page1 = await ecs.send(new ListContainerInstancesCommand({ cluster: 'wide', maxResults: 2 }));
    const page2 = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'wide', maxResults: 2, nextToken: page1.nextToken }),
    );
    const page3 = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'wide', maxResults: 2, nextToken: page2.nextToken }),
    );
    const all = [...page1.containerInstanceArns!, ...page2.containerInstanceArns!, ...page3.containerInstanceArns!];
    expect(all).toHaveLength(5);
    expect(new Set(all).size).toBe(5);
    expect(page3.nextToken).toBeUndefined();

    const zoneA = await ecs.send(
      new ListContainerInstancesCommand({ cluster: 'wide', filter: 'attribute:ecs.availability-zone == us-east-1a' }),
    );
    expect(zoneA.containerInstanceArns).toHaveLength(3);
    const typed = await ecs.send(
      new ListContainerInstancesCommand({
        cluster: 'wide',
        filter: 'attribute:ecs.instance-type =~ t3.* && attribute:tier == batch',
      }),
    );
    expect(typed.containerInstanceArns).toHaveLength(5);
    await expect(
      ecs.send(new ListContainerInstancesCommand({ cluster: 'wide', filter: 'attribute:tier ==' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });

    const drained = await ecs.send(
      new UpdateContainerInstancesStateCommand({ cluster: 'wide', containerInstances: [all[0]!], status: 'DRAINING' }),
    );
    expect(drained.containerInstances?.[0]?.status).toBe('DRAINING');
    const draining = await ecs.send(new ListContainerInstancesCommand({ cluster: 'wide', status: 'DRAINING' }));
    expect(draining.containerInstanceArns).toEqual([all[0]]);
    const active = await ecs.send(new ListContainerInstancesCommand({ cluster: 'wide', status: 'ACTIVE' }));
    expect(active.containerInstanceArns).toHaveLength(4);

    // A draining instance takes no new task: four 2048-CPU tasks fit on the four ACTIVE ones only.
    await ec2Definition('whole-host', { cpu: 2048, memory: 256, dockerLabels: { 'berth.simulate.seconds': '600' } });
    const run = await ecs.send(new RunTaskCommand({ cluster: 'wide', taskDefinition: 'whole-host', count: 5 }));
    expect(run.tasks).toHaveLength(4);
    expect(run.tasks?.map((t) => t.containerInstanceArn)).not.toContain(all[0]);
    expect(run.failures?.map((f) => f.reason)).toEqual([
      'RESOURCE:CPU',
      'RESOURCE:CPU',
      'RESOURCE:CPU',
      'RESOURCE:CPU',
    ]);
    await Promise.all(run.tasks!.map((t) => ecs.send(new StopTaskCommand({ cluster: 'wide', task: t.taskArn }))));
    await Promise.all(run.tasks!.map((t) => waitForTask(ecs, t.taskArn!, undefined, 'wide')));
    const back = await ecs.send(
      new UpdateContainerInstancesStateCommand({
        cluster: 'wide',
        containerInstances: [all[0]!, 'ffffffffffffffffffffffffffffffff'],
        status: 'ACTIVE',
      }),
    );
    expect(back.containerInstances?.[0]?.status).toBe('ACTIVE');
    expect(back.failures).toEqual([{ arn: 'ffffffffffffffffffffffffffffffff', reason: 'MISSING' }]);
    await expect(
      ecs.send(
        new UpdateContainerInstancesStateCommand({
          cluster: 'wide',
          containerInstances: [all[0]!],
          status: 'DEREGISTERING',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });
});

describe('RunTask', () => {
  it('runs the example on FARGATE through the whole lifecycle to STOPPED with exit code 0', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'default',
        taskDefinition: 'anjana-educative:1',
        count: 1,
        launchType: 'FARGATE',
        networkConfiguration: FARGATE_NETWORK,
        tags: [{ key: 'run', value: 'one' }],
      }),
    );
    expect(run.failures).toEqual([]);
    const started = run.tasks![0]!;
    expect(started).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      launchType: 'FARGATE',
      group: 'family:anjana-educative',
      cpu: '256',
      memory: '512',
      version: 1,
      platformVersion: '1.4.0',
      taskArn: expect.stringMatching(new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/default/[0-9a-f]{32}$`)),
      attachments: [expect.objectContaining({ type: 'ElasticNetworkInterface', status: 'PRECREATED' })],
    });
    const stopped = await waitForTask(ecs, started.taskArn!);
    expect(stopped).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ name: 'anjana', lastStatus: 'STOPPED', exitCode: 0 })],
      attachments: [expect.objectContaining({ status: 'DELETED' })],
    });
    expect(stopped.version).toBeGreaterThanOrEqual(7);
    const times = [
      'createdAt',
      'pullStartedAt',
      'pullStoppedAt',
      'startedAt',
      'stoppingAt',
      'executionStoppedAt',
      'stoppedAt',
    ] as const;
    const stamps = times.map((k) => stopped[k]?.getTime());
    expect(stamps.every((s) => typeof s === 'number')).toBe(true);
    expect([...stamps].sort((a, b) => a! - b!)).toEqual(stamps);

    const described = await ecs.send(
      new DescribeTasksCommand({ tasks: [started.taskArn!.split('/')[2]!], include: ['TAGS'] }),
    );
    expect(described.tasks?.[0]?.tags).toEqual([{ key: 'run', value: 'one' }]);
  });

  it('refuses what ECS refuses, in its words', async () => {
    await register(example({ family: 'gone' }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'gone:1' }));
    await ec2Definition('bridge-small', { cpu: 10 });
    const cases: Array<[RunTaskCommandInput, string, string]> = [
      [
        { taskDefinition: 'anjana-educative:1', launchType: 'FARGATE' },
        'InvalidParameterException',
        "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
      ],
      [
        { taskDefinition: 'bridge-small', networkConfiguration: FARGATE_NETWORK },
        'InvalidParameterException',
        'Network Configuration is not valid for the given networkMode of this task definition.',
      ],
      [{ taskDefinition: 'nope:3' }, 'ClientException', 'TaskDefinition not found.'],
      [
        { taskDefinition: 'gone:1', launchType: 'FARGATE', networkConfiguration: FARGATE_NETWORK },
        'InvalidParameterException',
        'TaskDefinition is inactive',
      ],
      [
        { taskDefinition: 'bridge-small', count: 11 },
        'InvalidParameterException',
        "'count' must be between 1 and 10; got 11.",
      ],
      [
        { taskDefinition: 'bridge-small', launchType: 'FARGATE' },
        'InvalidParameterException',
        'Task definition does not support launch_type FARGATE.',
      ],
      [
        {
          taskDefinition: 'anjana-educative:1',
          launchType: 'FARGATE',
          capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
          networkConfiguration: FARGATE_NETWORK,
        },
        'InvalidParameterException',
        'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
      ],
      [
        { taskDefinition: 'bridge-small', overrides: { containerOverrides: [{ name: 'other' }] } },
        'InvalidParameterException',
        'Override for container named other is not a container in the TaskDefinition.',
      ],
      [
        {
          taskDefinition: 'bridge-small',
          overrides: {
            containerOverrides: [{ name: 'main', environment: [{ name: 'BIG', value: 'x'.repeat(8200) }] }],
          },
        },
        'InvalidParameterException',
        'Container Overrides length must be at most 8192 characters: a total of 8192 characters are allowed for overrides.',
      ],
      [
        { taskDefinition: 'bridge-small', placementConstraints: [{ type: 'memberOf', expression: 'attribute:x ==' }] },
        'InvalidParameterException',
        expect.any(String) as unknown as string,
      ],
      [
        { taskDefinition: 'bridge-small', platformVersion: '1.4.0' },
        'InvalidParameterException',
        'The platform version must be null when specifying an EC2 launch type.',
      ],
      [
        { cluster: 'empty', taskDefinition: 'bridge-small' },
        'InvalidParameterException',
        'No Container Instances were found in your cluster.',
      ],
    ];
    for (const [input, name, message] of cases) {
      expect({ input, error: await runError(input) }).toEqual({ input, error: { name, message, status: 400 } });
    }
  });

  it('places one 1536-CPU task per instance and reports the fourth as RESOURCE:CPU; resources come back', async () => {
    await ec2Definition('cpu-heavy', { cpu: 1536, memory: 512, dockerLabels: { 'berth.simulate.seconds': '600' } });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'cpu-heavy', count: 4 }));
    expect(run.tasks).toHaveLength(3);
    expect(new Set(run.tasks!.map((t) => t.containerInstanceArn)).size).toBe(3);
    expect(run.failures).toHaveLength(3);
    expect(run.failures?.every((f) => f.reason === 'RESOURCE:CPU' && f.arn?.includes(':container-instance/'))).toBe(
      true,
    );
    const busy = await instances();
    expect(busy.map((i) => resource(i.remainingResources, 'CPU'))).toEqual([512, 512, 512]);
    expect(busy.map((i) => resource(i.remainingResources, 'MEMORY'))).toEqual([3328, 3328, 3328]);
    await Promise.all(run.tasks!.map((t) => waitForTask(ecs, t.taskArn!, (x) => x.lastStatus === 'RUNNING')));
    expect((await instances()).map((i) => i.runningTasksCount)).toEqual([1, 1, 1]);
    const cluster = await ecs.send(new DescribeClustersCommand({}));
    expect(cluster.clusters?.[0]).toMatchObject({ runningTasksCount: 3, pendingTasksCount: 0 });

    const stoppedOne = await ecs.send(new StopTaskCommand({ task: run.tasks![0]!.taskArn, reason: 'done here' }));
    expect(stoppedOne.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'done here',
    });
    await Promise.all(run.tasks!.map((t) => ecs.send(new StopTaskCommand({ task: t.taskArn }))));
    const stopped = await Promise.all(run.tasks!.map((t) => waitForTask(ecs, t.taskArn!)));
    expect(stopped[0]?.stoppedReason).toBe('done here');
    expect(stopped[1]).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' });
    const free = await instances();
    expect(free.map((i) => resource(i.remainingResources, 'CPU'))).toEqual([2048, 2048, 2048]);
    expect(free.map((i) => resource(i.remainingResources, 'MEMORY'))).toEqual([3840, 3840, 3840]);
    expect(free.map((i) => i.runningTasksCount)).toEqual([0, 0, 0]);
  });

  it('reserves static host ports and refuses a second copy with RESOURCE:PORTS', async () => {
    await ec2Definition('web', {
      cpu: 10,
      portMappings: [{ containerPort: 80, hostPort: 8080 }],
      dockerLabels: { 'berth.simulate.seconds': '600' },
    });
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'wide',
        taskDefinition: 'web',
        count: 6,
        placementStrategy: [{ type: 'binpack', field: 'cpu' }],
      }),
    );
    expect(run.tasks).toHaveLength(5);
    expect(run.failures?.map((f) => f.reason)).toEqual(Array(5).fill('RESOURCE:PORTS'));
    const [one] = await instances('wide');
    expect(resource(one?.remainingResources, 'PORTS')).toContain('8080');
    await Promise.all(run.tasks!.map((t) => ecs.send(new StopTaskCommand({ cluster: 'wide', task: t.taskArn }))));
    await Promise.all(run.tasks!.map((t) => waitForTask(ecs, t.taskArn!, undefined, 'wide')));
    const [after] = await instances('wide');
    expect(resource(after?.remainingResources, 'PORTS')).not.toContain('8080');
  });

  it('returns the original tasks for a repeated clientToken and refuses it with other parameters', async () => {
    const input: RunTaskCommandInput = {
      taskDefinition: 'anjana-educative',
      launchType: 'FARGATE',
      networkConfiguration: FARGATE_NETWORK,
      clientToken: 'token-1',
      startedBy: 'tests',
    };
    const first = await ecs.send(new RunTaskCommand(input));
    const again = await ecs.send(new RunTaskCommand({ ...input }));
    expect(again.tasks?.map((t) => t.taskArn)).toEqual(first.tasks?.map((t) => t.taskArn));
    expect(await runError({ ...input, startedBy: 'someone-else' })).toEqual({
      name: 'ConflictException',
      message:
        'The RunTask request could not be processed due to conflicts. The provided clientToken is already in use with a different RunTask request.',
      status: 400,
    });
  });

  it('runs FARGATE through a capacity provider strategy, up to the concurrency limit', async () => {
    const run = await ecs.send(
      new RunTaskCommand({
        taskDefinition: 'anjana-educative',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
        networkConfiguration: FARGATE_NETWORK,
      }),
    );
    expect(run.tasks?.[0]).toMatchObject({ launchType: 'FARGATE', capacityProviderName: 'FARGATE_SPOT' });
  });
});

describe('containers', () => {
  it('runs a process container: exit code 3, its output in the task log', async () => {
    await ec2Definition('exit-3', { command: ['sh', '-c', 'echo hi; exit 3'] });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'exit-3' }));
    const task = await waitForTask(ecs, run.tasks![0]!.taskArn!);
    expect(task).toMatchObject({
      stopCode: 'EssentialContainerExited',
      containers: [expect.objectContaining({ exitCode: 3, lastStatus: 'STOPPED', runtimeId: expect.any(String) })],
    });
    const log = await admin(endpoint.url, 'GetTaskLog', { task: task.taskArn });
    expect(log).toMatchObject({
      status: 200,
      body: { taskArn: task.taskArn, lastStatus: 'STOPPED', truncated: false },
    });
    expect(withoutRuntimeNotes(log.body.log)).toBe('hi\n');
  });

  it('keeps the log of a task whose containers are all simulated in its record: no log file, both notes', async () => {
    await ec2Definition('simulated-log', {
      image: 'someimage',
      dockerLabels: { 'berth.simulate.seconds': '600' },
    });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'simulated-log' }));
    const taskArn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    await ecs.send(new StopTaskCommand({ task: taskArn, reason: 'done' }));
    await waitForTask(ecs, taskArn);
    const log = await admin(endpoint.url, 'GetTaskLog', { task: taskArn });
    // When Docker answers, the first note also says why Docker did not run the image.
    expect(log.body.log).toMatch(
      /^\[berth\] simulated container main \(image someimage\): no entryPoint or command to run here( \(Docker answered, but image someimage is not present and could not be pulled: .*\))?; exits with code 0 after 600 s\n\[berth\] simulated container main stopped \(SIGTERM\): exit code 143\n$/,
    );
    expect(existsSync(path.join(endpoint.stateDir, 'ecs-logs', `${taskArn.split('/').pop()}.log`))).toBe(false);
  });

  it('merges the environment as ECS does and lets the command override replace the command', async () => {
    await ec2Definition('env', {
      command: ['sh', '-c', 'echo never'],
      environment: [
        { name: 'A', value: 'from-definition' },
        { name: 'B', value: 'from-definition' },
      ],
    });
    const run = await ecs.send(
      new RunTaskCommand({
        taskDefinition: 'env',
        overrides: {
          containerOverrides: [
            {
              name: 'main',
              command: ['sh', '-c', 'echo "$A $B $C"'],
              environment: [
                { name: 'B', value: 'override' },
                { name: 'C', value: 'new' },
              ],
            },
          ],
        },
      }),
    );
    const task = await waitForTask(ecs, run.tasks![0]!.taskArn!);
    expect(task.overrides?.containerOverrides?.[0]).toMatchObject({
      name: 'main',
      command: ['sh', '-c', 'echo "$A $B $C"'],
    });
    expect(withoutRuntimeNotes((await admin(endpoint.url, 'GetTaskLog', { task: task.taskArn })).body.log)).toBe(
      'from-definition override new\n',
    );
  });

  it('stops a sleep 600 container on StopTask within its stopTimeout', async () => {
    await ec2Definition('sleeper', { command: ['sleep', '600'], stopTimeout: 5 });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'sleeper', startedBy: 'sleep-test' }));
    const arn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING');
    const listed = await ecs.send(new ListTasksCommand({ startedBy: 'sleep-test' }));
    expect(listed.taskArns).toEqual([arn]);
    const stopping = await ecs.send(new StopTaskCommand({ task: arn }));
    expect(stopping.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated' });
    const stopped = await waitForTask(ecs, arn);
    // SIGTERM ended it (128 + 15): well within the 5 s stop timeout, or the exit code would be 137.
    expect(stopped.containers?.[0]?.exitCode).toBe(143);
    expect(stopped.stoppedAt!.getTime() - stopped.stoppingAt!.getTime()).toBeLessThan(5000);
    const again = await ecs.send(new StopTaskCommand({ task: arn, reason: 'again' }));
    expect(again.task).toEqual(stopped);
    expect((await ecs.send(new ListTasksCommand({ startedBy: 'sleep-test' }))).taskArns).toEqual([]);
    expect(
      (await ecs.send(new ListTasksCommand({ startedBy: 'sleep-test', desiredStatus: 'STOPPED' }))).taskArns,
    ).toEqual([arn]);
  });

  it('stops a task whose container cannot start with TaskFailedToStart and the CannotStartContainerError', async () => {
    await ec2Definition('missing-binary', { command: ['berth-no-such-binary'] });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'missing-binary' }));
    const task = await waitForTask(ecs, run.tasks![0]!.taskArn!);
    expect(task.stopCode).toBe('TaskFailedToStart');
    expect(task.stoppedReason).toMatch(/^CannotStartContainerError: .*executable file not found in \$PATH/);
    expect(task.containers?.[0]?.reason).toBe(task.stoppedReason);
    expect(task.containers?.[0]?.exitCode).toBeUndefined();
  });

  it('stops the other containers when an essential one exits', async () => {
    await register({
      family: 'pair',
      containerDefinitions: [
        { name: 'worker', image: 'x', memory: 64, command: ['sh', '-c', 'exit 0'] },
        { name: 'sidecar', image: 'x', memory: 64, essential: false, command: ['sleep', '600'], stopTimeout: 5 },
      ],
    });
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'pair' }));
    const task = await waitForTask(ecs, run.tasks![0]!.taskArn!);
    const byName = Object.fromEntries(task.containers!.map((c) => [c.name, c.exitCode]));
    expect(byName).toEqual({ worker: 0, sidecar: 143 });
    expect(task.stopCode).toBe('EssentialContainerExited');
  });
});

describe('ListTasks', () => {
  it('filters by family, container instance and desired status, and pages', async () => {
    await ec2Definition('listed', { cpu: 1, memory: 16, dockerLabels: { 'berth.simulate.seconds': '600' } });
    const run = await ecs.send(new RunTaskCommand({ cluster: 'wide', taskDefinition: 'listed', count: 5 }));
    const arns = run.tasks!.map((t) => t.taskArn!).sort();
    const page1 = await ecs.send(new ListTasksCommand({ cluster: 'wide', family: 'listed', maxResults: 3 }));
    const page2 = await ecs.send(
      new ListTasksCommand({ cluster: 'wide', family: 'listed', maxResults: 3, nextToken: page1.nextToken }),
    );
    expect([...page1.taskArns!, ...page2.taskArns!].sort()).toEqual(arns);
    const on = run.tasks![0]!.containerInstanceArn!;
    const onInstance = await ecs.send(new ListTasksCommand({ cluster: 'wide', containerInstance: on }));
    expect(onInstance.taskArns?.sort()).toEqual(
      run
        .tasks!.filter((t) => t.containerInstanceArn === on)
        .map((t) => t.taskArn)
        .sort(),
    );
    expect((await ecs.send(new ListTasksCommand({ cluster: 'wide', serviceName: 'svc' }))).taskArns).toEqual([]);
    await Promise.all(arns.map((task) => ecs.send(new StopTaskCommand({ cluster: 'wide', task }))));
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'wide', family: 'listed', desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns?.sort()).toEqual(arns);
    const missing = await ecs.send(
      new DescribeTasksCommand({ cluster: 'wide', tasks: ['0123456789abcdef0123456789abcdef'] }),
    );
    expect(missing.failures).toEqual([
      { arn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:task/wide/0123456789abcdef0123456789abcdef`, reason: 'MISSING' },
    ]);
    await Promise.all(arns.map((task) => waitForTask(ecs, task, undefined, 'wide')));
  });
});

describe('BerthLocal faults and admin', () => {
  afterEach(async () => {
    await admin(endpoint.url, 'PutFaults', {});
  });

  it('throttles the next calls with ThrottlingException "Rate exceeded"', async () => {
    const put = await admin(endpoint.url, 'PutFaults', {
      throttle: { rate: 1, count: 2, operations: ['ListClusters'] },
    });
    expect(put.body).toEqual({ faults: { throttle: { rate: 1, count: 2, operations: ['ListClusters'] } } });
    for (let i = 0; i < 2; i++) {
      await expect(ecs.send(new ListClustersCommand({}))).rejects.toMatchObject({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      });
    }
    await expect(ecs.send(new ListClustersCommand({}))).resolves.toBeDefined();
    expect((await admin(endpoint.url, 'GetFaults')).body).toEqual({ faults: {} });
  });

  it('fails placements with a chosen reason, and validates its input', async () => {
    await admin(endpoint.url, 'PutFaults', { placementFailure: { reason: 'RESOURCE:MEMORY', count: 1 } });
    const failed = await ecs.send(new RunTaskCommand({ taskDefinition: 'bridge-small' }));
    expect(failed.tasks).toEqual([]);
    expect(failed.failures?.map((f) => f.reason)).toEqual(['RESOURCE:MEMORY', 'RESOURCE:MEMORY', 'RESOURCE:MEMORY']);
    const bad = await admin(endpoint.url, 'PutFaults', { throttle: { rate: 2 } });
    expect(bad).toEqual({
      status: 400,
      body: {
        __type: 'InvalidParameterException',
        message: "'throttle.rate' must be a number greater than 0 and at most 1.",
      },
    });
  });

  it('adds an instance, disconnects its agent (AGENT), and stops its host under a running task', async () => {
    const cluster = await ecs.send(new CreateClusterCommand({ clusterName: 'admin' }));
    expect(cluster.cluster?.registeredContainerInstancesCount).toBe(0);
    const added = await admin(endpoint.url, 'AddContainerInstance', {
      cluster: 'admin',
      cpu: 1024,
      memory: 2048,
      attributes: { gpu: null },
    });
    expect(added.status).toBe(200);
    const instance = added.body.containerInstance as { containerInstanceArn: string; ec2InstanceId: string };
    await admin(endpoint.url, 'DisconnectAgent', {
      cluster: 'admin',
      containerInstance: instance.containerInstanceArn,
    });
    const refused = await ecs.send(new RunTaskCommand({ cluster: 'admin', taskDefinition: 'bridge-small' }));
    expect(refused.failures).toEqual([{ arn: instance.containerInstanceArn, reason: 'AGENT' }]);
    await admin(endpoint.url, 'ConnectAgent', { cluster: 'admin', containerInstance: instance.containerInstanceArn });

    await ec2Definition('long', { cpu: 10, command: ['sleep', '600'] });
    const run = await ecs.send(new RunTaskCommand({ cluster: 'admin', taskDefinition: 'long' }));
    const arn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING', 'admin');
    const removed = await admin(endpoint.url, 'RemoveContainerInstance', {
      cluster: 'admin',
      containerInstance: instance.containerInstanceArn,
    });
    expect(removed.body).toMatchObject({ __type: 'InvalidParameterException' });
    const host = await admin(endpoint.url, 'StopHost', {
      cluster: 'admin',
      containerInstance: instance.containerInstanceArn,
    });
    expect(host.body.containerInstance).toMatchObject({ status: 'INACTIVE', agentConnected: false });
    const task = await waitForTask(ecs, arn, undefined, 'admin');
    expect(task).toMatchObject({
      stopCode: 'TerminationNotice',
      stoppedReason: `Host EC2 (instance ${instance.ec2InstanceId}) stopped/terminated.`,
    });
    expect(task.containers?.[0]?.exitCode).toBeUndefined();
    await expect(
      ecs.send(new RunTaskCommand({ cluster: 'admin', taskDefinition: 'bridge-small' })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'No Container Instances were found in your cluster.',
    });
    expect(await ecs.send(new DeleteClusterCommand({ cluster: 'admin' }))).toMatchObject({
      cluster: { status: 'INACTIVE' },
    });
    const unknown = await admin(endpoint.url, 'StopHost', { containerInstance: 'nope' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.__type).toBe('InvalidParameterException');
  });
});
