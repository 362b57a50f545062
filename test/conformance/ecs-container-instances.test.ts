/**
 * Container instances join and leave a cluster through the ECS API, as the agent on an EC2 node does:
 * RegisterContainerInstance (identity document, totalResources, attributes, re-registration) and
 * DeregisterContainerInstance (with and without force), through the AWS SDK and the AWS CLI.
 */
import {
  CreateClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { awsCliJson } from './aws-cli';
import { identityDocument, resource, startEcsEndpoint, waitForTask } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startEcsEndpoint({ clusterConfig: { clusters: [] } });
});

afterAll(async () => {
  await endpoint?.close();
});

const attribute = (attributes: { name?: string; value?: string }[] | undefined, name: string) =>
  attributes?.find((a) => a.name === name);

it('registers an instance from its identity document, with the attributes ECS derives and the caller adds', async () => {
  const { ecs } = endpoint;
  await ecs.send(new CreateClusterCommand({ clusterName: 'joiners' }));
  const out = await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster: 'joiners',
      instanceIdentityDocument: identityDocument(),
      instanceIdentityDocumentSignature: 'signature',
      versionInfo: { agentVersion: '1.90.0', agentHash: 'abc', dockerVersion: 'DockerVersion: 26.1.0' },
      attributes: [{ name: 'stack', value: 'blue' }],
      platformDevices: [{ id: 'GPU-1', type: 'GPU' }],
      tags: [{ key: 'team', value: 'jobs' }],
    }),
  );
  const instance = out.containerInstance!;
  expect(instance.containerInstanceArn).toMatch(
    /^arn:aws:ecs:us-east-1:123456789012:container-instance\/joiners\/[0-9a-f]{32}$/,
  );
  expect(instance).toMatchObject({
    ec2InstanceId: 'i-0123456789abcdef0',
    status: 'ACTIVE',
    agentConnected: true,
    versionInfo: { agentVersion: '1.90.0', agentHash: 'abc', dockerVersion: 'DockerVersion: 26.1.0' },
    tags: [{ key: 'team', value: 'jobs' }],
  });
  // m5.large: 2 vCPUs, 8 GiB less what the OS and agent keep.
  expect(resource(instance.registeredResources, 'CPU')).toBe(2048);
  expect(resource(instance.registeredResources, 'MEMORY')).toBe(7680);
  expect(resource(instance.registeredResources, 'PORTS')).toEqual(['22', '2375', '2376', '51678', '51679']);
  for (const [name, value] of [
    ['ecs.instance-type', 'm5.large'],
    ['ecs.availability-zone', 'us-east-1c'],
    ['ecs.ami-id', 'ami-0abcdef1234567890'],
    ['ecs.os-type', 'linux'],
    ['ecs.cpu-architecture', 'x86_64'],
    ['stack', 'blue'],
  ]) {
    expect(attribute(instance.attributes, name!)).toEqual({ name, value });
  }
  expect(attribute(instance.attributes, 'ecs.capability.task-eni')).toEqual({ name: 'ecs.capability.task-eni' });
  expect(attribute(instance.attributes, 'com.amazonaws.ecs.capability.docker-remote-api.1.44')).toBeDefined();

  // Without include, DescribeContainerInstances leaves tags out.
  const described = await ecs.send(
    new DescribeContainerInstancesCommand({ cluster: 'joiners', containerInstances: [instance.containerInstanceArn!] }),
  );
  expect(described.containerInstances?.[0]?.tags).toBeUndefined();
  expect(resource(described.containerInstances?.[0]?.registeredResources, 'GPU')).toEqual(['GPU-1']);

  // The agent restarting registers the same instance again: same ARN, new resources and attributes.
  const again = await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster: 'joiners',
      instanceIdentityDocument: identityDocument(),
      containerInstanceArn: instance.containerInstanceArn,
      totalResources: [
        { name: 'CPU', type: 'INTEGER', integerValue: 1024 },
        { name: 'MEMORY', type: 'INTEGER', integerValue: 2000 },
      ],
      attributes: [{ name: 'stack', value: 'green' }],
    }),
  );
  expect(again.containerInstance?.containerInstanceArn).toBe(instance.containerInstanceArn);
  expect(again.containerInstance?.version).toBe(2);
  expect(resource(again.containerInstance?.registeredResources, 'CPU')).toBe(1024);
  expect(attribute(again.containerInstance?.attributes, 'stack')?.value).toBe('green');
  const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: 'joiners' }));
  expect(listed.containerInstanceArns).toEqual([instance.containerInstanceArn]);
});

it('refuses what the agent would never send, in ECS words, naming the member', async () => {
  const { ecs } = endpoint;
  await ecs.send(new CreateClusterCommand({ clusterName: 'refusals' }));
  const register = (input: Record<string, unknown>) =>
    ecs.send(new RegisterContainerInstanceCommand({ cluster: 'refusals', ...input }));
  await expect(register({ instanceIdentityDocument: '{not json' })).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining("'instanceIdentityDocument' must be the instance identity document"),
  });
  await expect(register({ instanceIdentityDocument: identityDocument({ region: 'eu-west-1' }) })).rejects.toMatchObject(
    { name: 'InvalidParameterException', message: expect.stringContaining('region eu-west-1') },
  );
  await expect(
    register({ instanceIdentityDocument: identityDocument({ instanceType: 'x9.huge' }) }),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('CPU and MEMORY') });
  await expect(
    register({ instanceIdentityDocument: 'i-0123456789abcdef0', attributes: [{ name: 'bad name!' }] }),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining("'bad name!'") });
  await expect(
    register({ instanceIdentityDocument: 'i-0123456789abcdef0', tags: [{ key: 'aws:owner', value: 'x' }] }),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(
    register({
      instanceIdentityDocument: 'i-0123456789abcdef0',
      containerInstanceArn:
        'arn:aws:ecs:us-east-1:123456789012:container-instance/refusals/0123456789abcdef0123456789abcdef',
    }),
  ).rejects.toMatchObject({ name: 'ClientException' });
  await expect(
    ecs.send(
      new RegisterContainerInstanceCommand({ cluster: 'nowhere', instanceIdentityDocument: identityDocument() }),
    ),
  ).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
});

it('deregisters: refused while tasks run unless forced, and then the tasks go on running, orphaned', async () => {
  const { ecs } = endpoint;
  await ecs.send(new CreateClusterCommand({ clusterName: 'leavers' }));
  const { containerInstance } = await ecs.send(
    new RegisterContainerInstanceCommand({ cluster: 'leavers', instanceIdentityDocument: identityDocument() }),
  );
  const arn = containerInstance!.containerInstanceArn!;
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'long',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 256, memory: 128, command: ['sleep', '60'] }],
    }),
  );
  const run = await ecs.send(new RunTaskCommand({ cluster: 'leavers', taskDefinition: 'long' }));
  const taskArn = run.tasks![0]!.taskArn!;
  await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING', 'leavers');

  await expect(
    ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'leavers', containerInstance: arn })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: 'Found running tasks on the instance.' });
  const forced = await ecs.send(
    new DeregisterContainerInstanceCommand({ cluster: 'leavers', containerInstance: arn, force: true }),
  );
  expect(forced.containerInstance).toMatchObject({ status: 'INACTIVE', agentConnected: false });
  const task = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING', 'leavers');
  expect(task.desiredStatus).toBe('RUNNING');
  const listed = await ecs.send(new ListContainerInstancesCommand({ cluster: 'leavers' }));
  expect(listed.containerInstanceArns).toEqual([]);
  await expect(ecs.send(new RunTaskCommand({ cluster: 'leavers', taskDefinition: 'long' }))).rejects.toMatchObject({
    message: 'No Container Instances were found in your cluster.',
  });
  await expect(
    ecs.send(new DeregisterContainerInstanceCommand({ cluster: 'leavers', containerInstance: 'nope' })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
});

it('registers and deregisters through the CLI', async () => {
  const cli = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);
  await cli('create-cluster', '--cluster-name', 'cli-joiners');
  const registered = await cli(
    'register-container-instance',
    '--cluster',
    'cli-joiners',
    '--instance-identity-document',
    identityDocument({ instanceId: 'i-0fedcba9876543210', instanceType: 'c5.xlarge' }),
    '--attributes',
    'name=stack,value=blue',
  );
  expect(registered.containerInstance.ec2InstanceId).toBe('i-0fedcba9876543210');
  expect(resource(registered.containerInstance.registeredResources, 'CPU')).toBe(4096);
  expect(resource(registered.containerInstance.registeredResources, 'MEMORY')).toBe(7680);
  const deregistered = await cli(
    'deregister-container-instance',
    '--cluster',
    'cli-joiners',
    '--container-instance',
    registered.containerInstance.containerInstanceArn,
  );
  expect(deregistered.containerInstance.status).toBe('INACTIVE');
});
