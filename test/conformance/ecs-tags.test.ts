/**
 * Tags on ECS resources: TagResource, UntagResource and ListTagsForResource on clusters, task definitions, tasks
 * and container instances, with ECS's limits; `include: ["TAGS"]` on the describe operations and nothing without
 * it; propagateTags TASK_DEFINITION on RunTask.
 */
import {
  CreateClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTagsForResourceCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecs';
import { awsCliJson } from './aws-cli';
import { identityDocument, startEcsEndpoint } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
let clusterArn: string;
let definitionArn: string;
let instanceArn: string;
let taskArn: string;

beforeAll(async () => {
  endpoint = await startEcsEndpoint({ clusterConfig: { clusters: [] } });
  const { ecs } = endpoint;
  clusterArn = (await ecs.send(new CreateClusterCommand({ clusterName: 'tagged' }))).cluster!.clusterArn!;
  instanceArn = (
    await ecs.send(
      new RegisterContainerInstanceCommand({ cluster: 'tagged', instanceIdentityDocument: identityDocument() }),
    )
  ).containerInstance!.containerInstanceArn!;
  definitionArn = (
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'tagged',
        containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64 }],
        tags: [
          { key: 'team', value: 'jobs' },
          { key: 'cost', value: 'a' },
        ],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: 'tagged',
      taskDefinition: 'tagged',
      propagateTags: 'TASK_DEFINITION',
      tags: [{ key: 'cost', value: 'b' }],
    }),
  );
  taskArn = run.tasks![0]!.taskArn!;
});

afterAll(async () => {
  await endpoint?.close();
});

const list = async (resourceArn: string) =>
  (await endpoint.ecs.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

it('propagates the definition tags to the task, its own winning', async () => {
  expect(await list(taskArn)).toEqual([
    { key: 'team', value: 'jobs' },
    { key: 'cost', value: 'b' },
  ]);
});

it('tags, lists and untags each kind of resource', async () => {
  const { ecs } = endpoint;
  for (const arn of [clusterArn, definitionArn, taskArn, instanceArn]) {
    await ecs.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { key: 'env', value: 'test' },
          { key: 'team', value: 'platform' },
        ],
      }),
    );
    const tags = await list(arn);
    expect(tags).toEqual(
      expect.arrayContaining([
        { key: 'env', value: 'test' },
        { key: 'team', value: 'platform' },
      ]),
    );
    await ecs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['env', 'absent'] }));
    expect(await list(arn)).not.toContainEqual({ key: 'env', value: 'test' });
  }
});

it('shows tags in the describe operations only with include TAGS', async () => {
  const { ecs } = endpoint;
  const [clusters, clustersTagged] = await Promise.all([
    ecs.send(new DescribeClustersCommand({ clusters: ['tagged'] })),
    ecs.send(new DescribeClustersCommand({ clusters: ['tagged'], include: ['TAGS'] })),
  ]);
  expect(clusters.clusters?.[0]?.tags).toBeUndefined();
  expect(clustersTagged.clusters?.[0]?.tags).toEqual([{ key: 'team', value: 'platform' }]);
  const [td, tdTagged] = await Promise.all([
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: definitionArn })),
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: definitionArn, include: ['TAGS'] })),
  ]);
  expect(td.tags).toBeUndefined();
  expect(tdTagged.tags).toEqual([
    { key: 'cost', value: 'a' },
    { key: 'team', value: 'platform' },
  ]);
  const [tasks, tasksTagged] = await Promise.all([
    ecs.send(new DescribeTasksCommand({ cluster: 'tagged', tasks: [taskArn] })),
    ecs.send(new DescribeTasksCommand({ cluster: 'tagged', tasks: [taskArn], include: ['TAGS'] })),
  ]);
  expect(tasks.tasks?.[0]?.tags).toBeUndefined();
  expect(tasksTagged.tasks?.[0]?.tags).toContainEqual({ key: 'team', value: 'platform' });
  const [instances, instancesTagged] = await Promise.all([
    ecs.send(new DescribeContainerInstancesCommand({ cluster: 'tagged', containerInstances: [instanceArn] })),
    ecs.send(
      new DescribeContainerInstancesCommand({
        cluster: 'tagged',
        containerInstances: [instanceArn],
        include: ['TAGS'],
      }),
    ),
  ]);
  expect(instances.containerInstances?.[0]?.tags).toBeUndefined();
  expect(instancesTagged.containerInstances?.[0]?.tags).toEqual([{ key: 'team', value: 'platform' }]);
});

it('refuses tags beyond ECS limits and resources that do not exist', async () => {
  const { ecs } = endpoint;
  const tag = (tags: { key: string; value?: string }[], resourceArn = clusterArn) =>
    ecs.send(new TagResourceCommand({ resourceArn, tags }));
  await expect(tag(Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' })))).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: "'tags' can have at most 50 tags.",
  });
  await expect(tag(Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: 'v' })))).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: 'A resource can have at most 50 tags: this would give it 51.',
  });
  await expect(tag([{ key: 'aws:created', value: 'x' }])).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining("'aws:' are reserved"),
  });
  await expect(tag([{ key: 'k'.repeat(129), value: 'x' }])).rejects.toMatchObject({
    message: "'tags[0].key' must be 1 to 128 characters.",
  });
  await expect(tag([{ key: 'k', value: 'v'.repeat(257) }])).rejects.toMatchObject({
    message: "'tags[0].value' must be at most 256 characters.",
  });
  await expect(
    tag([{ key: 'k', value: 'v' }], 'arn:aws:ecr:us-east-1:123456789012:repository/r'),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'The ARN provided is invalid.' });
  await expect(
    tag([{ key: 'k', value: 'v' }], 'arn:aws:ecs:us-east-1:123456789012:cluster/nowhere'),
  ).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  await expect(
    tag([{ key: 'k', value: 'v' }], 'arn:aws:ecs:us-east-1:123456789012:task-definition/nope:1'),
  ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  await expect(
    ecs.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:ecs:us-east-1:123456789012:task/tagged/0123' })),
  ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

it('tags through the CLI', async () => {
  const cli = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);
  await cli('tag-resource', '--resource-arn', definitionArn, '--tags', 'key=cli,value=yes');
  const listed = await cli('list-tags-for-resource', '--resource-arn', definitionArn);
  expect(listed.tags).toContainEqual({ key: 'cli', value: 'yes' });
  await cli('untag-resource', '--resource-arn', definitionArn, '--tag-keys', 'cli');
  expect((await cli('list-tags-for-resource', '--resource-arn', definitionArn)).tags).not.toContainEqual({
    key: 'cli',
    value: 'yes',
  });
});
