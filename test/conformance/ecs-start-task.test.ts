/**
 * StartTask: a task on each container instance the caller names, with RunTask's overrides, tags, startedBy, group
 * and network configuration, and ECS's failures for an instance that cannot take it; through the SDK and the CLI.
 */
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
} from '@aws-sdk/client-ecs';
import { awsCliJson } from './aws-cli';
import { admin, identityDocument, startEcsEndpoint, waitForTask } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
const instances: string[] = [];

beforeAll(async () => {
  endpoint = await startEcsEndpoint({ clusterConfig: { clusters: [] } });
  const { ecs } = endpoint;
  await ecs.send(new CreateClusterCommand({ clusterName: 'starts' }));
  for (const [id, cpu] of [
    ['i-0000000000000000a', 2048],
    ['i-0000000000000000b', 256],
  ] as const) {
    const out = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: 'starts',
        instanceIdentityDocument: identityDocument({ instanceId: id }),
        totalResources: [
          { name: 'CPU', type: 'INTEGER', integerValue: cpu },
          { name: 'MEMORY', type: 'INTEGER', integerValue: 4096 },
        ],
      }),
    );
    instances.push(out.containerInstance!.containerInstanceArn!);
  }
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'starter',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 512, memory: 256, command: ['sleep', '30'] }],
      tags: [{ key: 'team', value: 'jobs' }],
    }),
  );
});

afterAll(async () => {
  await endpoint?.close();
});

it('starts a task on each named instance that can take it, and fails the others with ECS reasons', async () => {
  const { ecs } = endpoint;
  const missing = 'arn:aws:ecs:us-east-1:123456789012:container-instance/starts/0123456789abcdef0123456789abcdef';
  const out = await ecs.send(
    new StartTaskCommand({
      cluster: 'starts',
      taskDefinition: 'starter',
      containerInstances: [instances[0]!, instances[1]!, missing],
      overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'MODE', value: 'start' }] }] },
      startedBy: 'tester',
      group: 'batch',
      tags: [{ key: 'run', value: '1' }],
      propagateTags: 'TASK_DEFINITION',
    }),
  );
  expect(out.tasks).toHaveLength(1);
  expect(out.failures).toEqual([
    { arn: instances[1], reason: 'RESOURCE:CPU' },
    { arn: missing, reason: 'MISSING' },
  ]);
  const task = out.tasks![0]!;
  expect(task).toMatchObject({
    containerInstanceArn: instances[0],
    launchType: 'EC2',
    startedBy: 'tester',
    group: 'batch',
    overrides: { containerOverrides: [{ name: 'main', environment: [{ name: 'MODE', value: 'start' }] }] },
  });
  const described = await ecs.send(
    new DescribeTasksCommand({ cluster: 'starts', tasks: [task.taskArn!], include: ['TAGS'] }),
  );
  expect(described.tasks?.[0]?.tags).toEqual([
    { key: 'team', value: 'jobs' },
    { key: 'run', value: '1' },
  ]);
  await waitForTask(ecs, task.taskArn!, (t) => t.lastStatus === 'RUNNING', 'starts');
  const [first] = (await admin(endpoint.url, 'StopHost', { cluster: 'starts', containerInstance: instances[0] })).body
    .tasks as { taskArn: string }[];
  expect(first?.taskArn).toBe(task.taskArn);
});

it('checks its parameters as ECS does', async () => {
  const { ecs } = endpoint;
  const start = (input: Record<string, unknown>) =>
    ecs.send(new StartTaskCommand({ cluster: 'starts', taskDefinition: 'starter', ...input } as never));
  await expect(start({ containerInstances: [] })).rejects.toMatchObject({
    name: 'ClientException',
    message: 'Container Instances cannot be empty.',
  });
  await expect(start({ containerInstances: Array(11).fill(instances[0]) })).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining('up to 10 container instances'),
  });
  await expect(start({ containerInstances: [instances[1]], taskDefinition: 'nope' })).rejects.toMatchObject({
    name: 'ClientException',
    message: 'TaskDefinition not found.',
  });
  await expect(
    start({ containerInstances: [instances[1]], networkConfiguration: { awsvpcConfiguration: { subnets: ['s'] } } }),
  ).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: 'Network Configuration is not valid for the given networkMode of this task definition.',
  });
});

it('starts a task through the CLI', async () => {
  const out = await awsCliJson(
    'ecs',
    endpoint.url,
    'start-task',
    '--cluster',
    'starts',
    '--task-definition',
    'starter',
    '--container-instances',
    instances[1]!,
    '--overrides',
    JSON.stringify({ containerOverrides: [{ name: 'main', cpu: 128 }] }),
  );
  expect(out.failures).toEqual([]);
  expect(out.tasks[0].containerInstanceArn).toBe(instances[1]);
  const described = await endpoint.ecs.send(
    new DescribeTasksCommand({ cluster: 'starts', tasks: [out.tasks[0].taskArn] }),
  );
  expect(described.tasks?.[0]?.cpu).toBe('128');
});
