/**
 * Errors in ECS's order and words: a request's own parameters are checked before anything is looked up; a
 * malformed revision, Fargate's refusals and an empty containerInstances list answer as ECS does.
 */
import {
  DeregisterTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { awsCli } from './aws-cli';
import { startEcsEndpoint } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startEcsEndpoint();
  await endpoint.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'plain',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64 }],
    }),
  );
});

afterAll(async () => {
  await endpoint?.close();
});

it("checks RunTask's own parameters before the cluster, and the cluster before the task definition", async () => {
  const { ecs } = endpoint;
  const run = (input: Record<string, unknown>) => ecs.send(new RunTaskCommand(input as never));
  await expect(run({ cluster: 'nowhere', taskDefinition: 'missing', count: 11 })).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: "'count' must be between 1 and 10; got 11.",
  });
  await expect(run({ cluster: 'nowhere', taskDefinition: 'missing', launchType: 'MOON' })).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining("'launchType' must be one of"),
  });
  await expect(
    run({ cluster: 'nowhere', taskDefinition: 'missing', startedBy: 'x'.repeat(129) }),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(
    run({ cluster: 'nowhere', taskDefinition: 'missing', tags: [{ key: 'aws:x', value: 'y' }] }),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(run({ cluster: 'nowhere', taskDefinition: 'missing' })).rejects.toMatchObject({
    name: 'ClusterNotFoundException',
  });
  await expect(run({ cluster: 'nowhere', taskDefinition: 'missing', launchType: 'EC2' })).rejects.toMatchObject({
    name: 'ClusterNotFoundException',
  });
  await expect(run({ taskDefinition: 'missing' })).rejects.toMatchObject({
    name: 'ClientException',
    message: 'TaskDefinition not found.',
  });
  await expect(
    ecs.send(new StartTaskCommand({ cluster: 'nowhere', taskDefinition: 'missing', containerInstances: [] })),
  ).rejects.toMatchObject({ name: 'ClientException', message: 'Container Instances cannot be empty.' });
  await expect(
    ecs.send(new StartTaskCommand({ cluster: 'nowhere', taskDefinition: 'missing', containerInstances: ['x'] })),
  ).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  await expect(
    ecs.send(
      new UpdateContainerInstancesStateCommand({ cluster: 'nowhere', containerInstances: [], status: 'DRAINING' }),
    ),
  ).rejects.toMatchObject({ name: 'ClientException', message: 'Container Instances cannot be empty.' });
});

it('answers a malformed revision as ECS does', async () => {
  const { ecs } = endpoint;
  await expect(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'plain:abc' }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: 'Invalid revision number. Number: abc',
  });
  await expect(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'plain:0' }))).rejects.toMatchObject({
    message: 'Invalid revision number. Number: 0',
  });
  await expect(ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'plain' }))).rejects.toMatchObject({
    name: 'ClientException',
    message: 'Revision is missing.',
  });
  const cli = await awsCli('ecs', endpoint.url, 'deregister-task-definition', '--task-definition', 'plain:x1');
  expect(cli.stderr).toContain(
    'An error occurred (InvalidParameterException) when calling the DeregisterTaskDefinition operation: Invalid revision number. Number: x1',
  );
});

it("refuses what Fargate cannot run, in ECS's words", async () => {
  const { ecs } = endpoint;
  const fargate = {
    family: 'fargate-modes',
    requiresCompatibilities: ['FARGATE' as const],
    networkMode: 'awsvpc' as const,
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'main', image: 'busybox' }],
  };
  await expect(ecs.send(new RegisterTaskDefinitionCommand({ ...fargate, pidMode: 'host' }))).rejects.toMatchObject({
    name: 'ClientException',
    message:
      "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
  });
  await expect(ecs.send(new RegisterTaskDefinitionCommand({ ...fargate, ipcMode: 'task' }))).rejects.toMatchObject({
    name: 'ClientException',
    message: 'Tasks using the Fargate launch type do not support ipcMode.',
  });
  const ok = await ecs.send(new RegisterTaskDefinitionCommand({ ...fargate, pidMode: 'task' }));
  expect(ok.taskDefinition?.compatibilities).toContain('FARGATE');
});
