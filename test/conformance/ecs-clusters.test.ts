/**
 * Clusters as the ECS API reference has them: CreateCluster's settings, configuration, serviceConnectDefaults,
 * capacity providers and default strategy; UpdateCluster, UpdateClusterSettings, PutClusterCapacityProviders;
 * Auto Scaling group capacity providers (Create, Describe, Delete) and RunTask placing on their instances;
 * DescribeClusters' include; where ClusterNotFoundException comes.
 */
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DeleteCapacityProviderCommand,
  DeleteClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  PutClusterCapacityProvidersCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateCapacityProviderCommand,
  UpdateClusterCommand,
  UpdateClusterSettingsCommand,
} from '@aws-sdk/client-ecs';
import { awsCliJson } from './aws-cli';
import { identityDocument, startEcsEndpoint, waitForTask } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startEcsEndpoint();
  await endpoint.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'small',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64 }],
    }),
  );
});

afterAll(async () => {
  await endpoint?.close();
});

it('creates a cluster with its settings, configuration and defaults, and returns them', async () => {
  const { ecs } = endpoint;
  const { cluster } = await ecs.send(
    new CreateClusterCommand({
      clusterName: 'configured',
      settings: [{ name: 'containerInsights', value: 'enhanced' }],
      configuration: {
        executeCommandConfiguration: {
          logging: 'OVERRIDE',
          logConfiguration: { cloudWatchLogGroupName: '/exec', cloudWatchEncryptionEnabled: true },
        },
      },
      serviceConnectDefaults: { namespace: 'local' },
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
      tags: [{ key: 'team', value: 'jobs' }],
    }),
  );
  expect(cluster).toMatchObject({
    clusterName: 'configured',
    settings: [{ name: 'containerInsights', value: 'enhanced' }],
    configuration: {
      executeCommandConfiguration: {
        logging: 'OVERRIDE',
        logConfiguration: { cloudWatchLogGroupName: '/exec', cloudWatchEncryptionEnabled: true },
      },
    },
    serviceConnectDefaults: { namespace: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/local' },
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
    tags: [{ key: 'team', value: 'jobs' }],
  });

  const updated = await ecs.send(
    new UpdateClusterCommand({
      cluster: 'configured',
      settings: [{ name: 'containerInsights', value: 'disabled' }],
      configuration: { executeCommandConfiguration: { logging: 'NONE' } },
    }),
  );
  expect(updated.cluster).toMatchObject({
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    configuration: { executeCommandConfiguration: { logging: 'NONE' } },
  });
  const settled = await ecs.send(
    new UpdateClusterSettingsCommand({
      cluster: 'configured',
      settings: [{ name: 'containerInsights', value: 'enabled' }],
    }),
  );
  expect(settled.cluster?.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
  // The cluster's default strategy (FARGATE) applies to a RunTask that gives neither launch type nor strategy.
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'tiny-fargate',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'main', image: 'busybox' }],
    }),
  );
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: 'configured',
      taskDefinition: 'tiny-fargate',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
    }),
  );
  expect(run.tasks?.[0]).toMatchObject({ launchType: 'FARGATE', capacityProviderName: 'FARGATE' });
});

it('describes only what include asks for', async () => {
  const { ecs } = endpoint;
  const plain = (await ecs.send(new DescribeClustersCommand({ clusters: ['configured'] }))).clusters![0]!;
  for (const member of ['statistics', 'tags', 'settings', 'configuration', 'attachments'] as const) {
    expect(plain[member]).toBeUndefined();
  }
  expect(plain.capacityProviders).toEqual(['FARGATE', 'FARGATE_SPOT']);
  const full = (
    await ecs.send(
      new DescribeClustersCommand({
        clusters: ['configured'],
        include: ['STATISTICS', 'TAGS', 'SETTINGS', 'CONFIGURATIONS', 'ATTACHMENTS'],
      }),
    )
  ).clusters![0]!;
  expect(full.statistics).toEqual(
    expect.arrayContaining([
      { name: 'runningEC2TasksCount', value: '0' },
      { name: 'pendingFargateTasksCount', value: expect.any(String) },
    ]),
  );
  expect(full.tags).toEqual([{ key: 'team', value: 'jobs' }]);
  expect(full.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
  expect(full.configuration).toEqual({ executeCommandConfiguration: { logging: 'NONE' } });
  expect(full.attachments).toEqual([]);
});

it('records Auto Scaling group capacity providers and places on their instances', async () => {
  const { ecs } = endpoint;
  const { capacityProvider } = await ecs.send(
    new CreateCapacityProviderCommand({
      name: 'big-asg',
      autoScalingGroupProvider: {
        autoScalingGroupArn:
          'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0a1b2c3d-0000-0000-0000-000000000000:autoScalingGroupName/big',
        managedScaling: { status: 'ENABLED', targetCapacity: 90 },
      },
      tags: [{ key: 'k', value: 'v' }],
    }),
  );
  expect(capacityProvider).toMatchObject({
    name: 'big-asg',
    status: 'ACTIVE',
    capacityProviderArn: 'arn:aws:ecs:us-east-1:123456789012:capacity-provider/big-asg',
    autoScalingGroupProvider: {
      managedScaling: { status: 'ENABLED', targetCapacity: 90, minimumScalingStepSize: 1 },
      managedTerminationProtection: 'DISABLED',
    },
  });
  const updated = await ecs.send(
    new UpdateCapacityProviderCommand({
      name: 'big-asg',
      autoScalingGroupProvider: { managedScaling: { targetCapacity: 80 }, managedDraining: 'DISABLED' },
    }),
  );
  expect(updated.capacityProvider).toMatchObject({
    updateStatus: 'UPDATE_COMPLETE',
    autoScalingGroupProvider: {
      managedScaling: { status: 'ENABLED', targetCapacity: 80 },
      managedDraining: 'DISABLED',
      managedTerminationProtection: 'DISABLED',
    },
  });
  await expect(
    ecs.send(
      new UpdateCapacityProviderCommand({
        name: 'big-asg',
        autoScalingGroupProvider: { managedScaling: { status: 'DISABLED' }, managedTerminationProtection: 'ENABLED' },
      }),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining('managed scaling enabled'),
  });
  await expect(
    ecs.send(new UpdateCapacityProviderCommand({ name: 'FARGATE', autoScalingGroupProvider: {} })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await ecs.send(new CreateClusterCommand({ clusterName: 'scaled' }));
  await ecs.send(
    new PutClusterCapacityProvidersCommand({
      cluster: 'scaled',
      capacityProviders: ['big-asg'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'big-asg', weight: 1 }],
    }),
  );
  const inGroup = await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster: 'scaled',
      instanceIdentityDocument: identityDocument({ instanceId: 'i-000000000000000a1', autoScalingGroupName: 'big' }),
    }),
  );
  await ecs.send(
    new RegisterContainerInstanceCommand({
      cluster: 'scaled',
      instanceIdentityDocument: identityDocument({ instanceId: 'i-000000000000000b2' }),
    }),
  );
  expect(inGroup.containerInstance?.capacityProviderName).toBe('big-asg');
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'sleeper',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64, command: ['sleep', '30'] }],
    }),
  );
  const runs = await ecs.send(
    new RunTaskCommand({
      cluster: 'scaled',
      taskDefinition: 'sleeper',
      count: 4,
      capacityProviderStrategy: [{ capacityProvider: 'big-asg', base: 1 }],
    }),
  );
  expect(runs.tasks?.map((t) => [t.containerInstanceArn, t.capacityProviderName, t.launchType])).toEqual(
    Array(4).fill([inGroup.containerInstance?.containerInstanceArn, 'big-asg', 'EC2']),
  );
  const described = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ['big-asg', 'nope'] }));
  expect(described.capacityProviders?.[0]?.tags).toBeUndefined();
  expect(described.failures).toEqual([
    { arn: 'arn:aws:ecs:us-east-1:123456789012:capacity-provider/nope', reason: 'MISSING' },
  ]);
  const all = await ecs.send(new DescribeCapacityProvidersCommand({ include: ['TAGS'] }));
  expect(all.capacityProviders?.map((p) => p.name)).toEqual(['FARGATE', 'FARGATE_SPOT', 'big-asg']);
  const attached = await ecs.send(new DescribeClustersCommand({ clusters: ['scaled'], include: ['ATTACHMENTS'] }));
  expect(attached.clusters?.[0]?.attachments?.[0]).toMatchObject({
    type: 'as_policy',
    details: expect.arrayContaining([{ name: 'capacityProviderName', value: 'big-asg' }]),
  });

  // Associated, it cannot be deleted nor associated with a second cluster.
  await expect(ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: 'big-asg' }))).rejects.toMatchObject({
    name: 'ClientException',
  });
  await expect(
    ecs.send(new CreateClusterCommand({ clusterName: 'second', capacityProviders: ['big-asg'] })),
  ).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining('already associated'),
  });
  // Its tasks still running, it cannot be taken from the cluster.
  await expect(
    ecs.send(
      new PutClusterCapacityProvidersCommand({
        cluster: 'scaled',
        capacityProviders: [],
        defaultCapacityProviderStrategy: [],
      }),
    ),
  ).rejects.toMatchObject({ name: 'ResourceInUseException', message: expect.stringContaining('big-asg is in use') });
  for (const task of runs.tasks ?? []) {
    await ecs.send(new StopTaskCommand({ cluster: 'scaled', task: task.taskArn! }));
    await waitForTask(ecs, task.taskArn!, undefined, 'scaled');
  }
  await ecs.send(
    new PutClusterCapacityProvidersCommand({
      cluster: 'scaled',
      capacityProviders: [],
      defaultCapacityProviderStrategy: [],
    }),
  );
  const deleted = await ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: 'big-asg' }));
  expect(deleted.capacityProvider).toMatchObject({ status: 'INACTIVE', updateStatus: 'DELETE_COMPLETE' });
});

it('refuses bad clusters and providers in ECS words, parameters before lookups', async () => {
  const { ecs } = endpoint;
  await expect(
    ecs.send(new CreateClusterCommand({ clusterName: 'x', capacityProviders: ['missing-provider'] })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: expect.stringContaining('does not exist') });
  await expect(
    ecs.send(
      new CreateClusterCommand({
        clusterName: 'x',
        capacityProviders: ['FARGATE'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT' }],
      }),
    ),
  ).rejects.toMatchObject({ message: expect.stringContaining('not associated with the cluster') });
  await expect(
    ecs.send(
      new CreateClusterCommand({
        clusterName: 'x',
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategy: [
          { capacityProvider: 'FARGATE', base: 1 },
          { capacityProvider: 'FARGATE_SPOT', base: 2 },
        ],
      }),
    ),
  ).rejects.toMatchObject({
    message: 'Only one capacity provider in a capacity provider strategy can have a base defined.',
  });
  await expect(
    ecs.send(
      new CreateCapacityProviderCommand({
        name: 'fargate-mine',
        autoScalingGroupProvider: { autoScalingGroupArn: 'g' },
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  // A bad setting is refused before the missing cluster is looked up.
  await expect(
    ecs.send(
      new UpdateClusterSettingsCommand({ cluster: 'nowhere', settings: [{ name: 'containerInsights', value: 'x' }] }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  for (const call of [
    new UpdateClusterSettingsCommand({
      cluster: 'nowhere',
      settings: [{ name: 'containerInsights', value: 'enabled' }],
    }),
    new ListContainerInstancesCommand({ cluster: 'nowhere' }),
    new ListTasksCommand({ cluster: 'nowhere' }),
    new DeleteClusterCommand({ cluster: 'nowhere' }),
    new RunTaskCommand({ cluster: 'nowhere', taskDefinition: 'small' }),
  ]) {
    await expect(ecs.send(call as never)).rejects.toMatchObject({ name: 'ClusterNotFoundException' });
  }
  const missing = await ecs.send(new DescribeClustersCommand({ clusters: ['nowhere'] }));
  expect(missing.failures).toEqual([{ arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/nowhere', reason: 'MISSING' }]);
  await expect(
    ecs.send(new DescribeContainerInstancesCommand({ cluster: 'default', containerInstances: [] })),
  ).rejects.toMatchObject({ name: 'ClientException', message: 'Container Instances cannot be empty.' });
});

it('runs the cluster calls through the CLI', async () => {
  const cli = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);
  const created = await cli(
    'create-cluster',
    '--cluster-name',
    'cli-cluster',
    '--settings',
    'name=containerInsights,value=enabled',
  );
  expect(created.cluster.settings).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
  const updated = await cli(
    'put-cluster-capacity-providers',
    '--cluster',
    'cli-cluster',
    '--capacity-providers',
    'FARGATE',
    '--default-capacity-provider-strategy',
    'capacityProvider=FARGATE,weight=1',
  );
  expect(updated.cluster.defaultCapacityProviderStrategy).toEqual([
    { capacityProvider: 'FARGATE', weight: 1, base: 0 },
  ]);
});
