/**
 * What issue 13 added survives a restart of the endpoint: registered container instances (version info,
 * attributes, tags), custom attributes, tags on every resource, cluster settings and capacity providers, and
 * the state of another region, which the SDK reaches by signing for it.
 */
import {
  CreateCapacityProviderCommand,
  CreateClusterCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListAttributesCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecs';
import { identityDocument, startEcsEndpoint, waitForTask } from './ecs-cluster';
import { tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const ecsIn = (url: string, region: string) =>
  new ECSClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

it('keeps instances, attributes, tags, cluster settings, capacity providers and other regions across a restart', async () => {
  const stateDir = tempStateDir();
  const first = await startEcsEndpoint({ clusterConfig: { clusters: [] } }, stateDir);
  const west = ecsIn(first.url, 'eu-west-1');
  let instanceArn: string;
  let westClusterArn: string;
  let westTaskArn: string;
  try {
    const { ecs } = first;
    await ecs.send(
      new CreateCapacityProviderCommand({
        name: 'kept-asg',
        autoScalingGroupProvider: { autoScalingGroupArn: 'kept-group' },
      }),
    );
    await ecs.send(
      new CreateClusterCommand({
        clusterName: 'kept',
        settings: [{ name: 'containerInsights', value: 'enabled' }],
        capacityProviders: ['kept-asg'],
        defaultCapacityProviderStrategy: [{ capacityProvider: 'kept-asg', weight: 2 }],
      }),
    );
    instanceArn = (
      await ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: 'kept',
          instanceIdentityDocument: identityDocument({ autoScalingGroupName: 'kept-group' }),
          versionInfo: { agentVersion: '1.91.0' },
          tags: [{ key: 'host', value: 'a' }],
        }),
      )
    ).containerInstance!.containerInstanceArn!;
    await ecs.send(
      new PutAttributesCommand({
        cluster: 'kept',
        attributes: [{ name: 'tier', value: 'gold', targetId: instanceArn }],
      }),
    );
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'kept',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64 }],
      }),
    );
    await ecs.send(
      new TagResourceCommand({ resourceArn: td.taskDefinition!.taskDefinitionArn!, tags: [{ key: 'k', value: 'v' }] }),
    );
    // Another region, reached by signing for it.
    westClusterArn = (await west.send(new CreateClusterCommand({ clusterName: 'far' }))).cluster!.clusterArn!;
    expect(westClusterArn).toBe('arn:aws:ecs:eu-west-1:123456789012:cluster/far');
    expect((await west.send(new ListClustersCommand({}))).clusterArns).toEqual([westClusterArn]);
    await west.send(
      new RegisterContainerInstanceCommand({
        cluster: 'far',
        instanceIdentityDocument: identityDocument({ region: 'eu-west-1', availabilityZone: 'eu-west-1b' }),
      }),
    );
    await west.send(
      new RegisterTaskDefinitionCommand({
        family: 'far',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sleep', '60'] }],
      }),
    );
    westTaskArn = (await west.send(new RunTaskCommand({ cluster: 'far', taskDefinition: 'far' }))).tasks![0]!.taskArn!;
    expect(westTaskArn).toMatch(/^arn:aws:ecs:eu-west-1:123456789012:task\/far\//);
    await waitForTask(west, westTaskArn, (t) => t.lastStatus === 'RUNNING', 'far');
  } finally {
    west.destroy();
    await first.close();
  }

  const second = await startEcsEndpoint({ clusterConfig: { clusters: [] } }, stateDir);
  const westAgain = ecsIn(second.url, 'eu-west-1');
  try {
    const { ecs } = second;
    const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: ['kept'], include: ['SETTINGS'] })))
      .clusters![0]!;
    expect(cluster).toMatchObject({
      settings: [{ name: 'containerInsights', value: 'enabled' }],
      capacityProviders: ['kept-asg'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'kept-asg', weight: 2, base: 0 }],
      registeredContainerInstancesCount: 1,
    });
    const instance = (
      await ecs.send(
        new DescribeContainerInstancesCommand({
          cluster: 'kept',
          containerInstances: [instanceArn],
          include: ['TAGS'],
        }),
      )
    ).containerInstances![0]!;
    expect(instance).toMatchObject({
      versionInfo: { agentVersion: '1.91.0' },
      tags: [{ key: 'host', value: 'a' }],
      capacityProviderName: 'kept-asg',
    });
    const tiers = await ecs.send(
      new ListAttributesCommand({ cluster: 'kept', targetType: 'container-instance', attributeName: 'tier' }),
    );
    expect(tiers.attributes).toEqual([
      { name: 'tier', value: 'gold', targetType: 'container-instance', targetId: instanceArn },
    ]);
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'kept', include: ['TAGS'] }));
    expect(td.tags).toEqual([{ key: 'k', value: 'v' }]);
    const providers = await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: ['kept-asg'] }));
    expect(providers.capacityProviders?.[0]?.status).toBe('ACTIVE');
    expect((await westAgain.send(new ListClustersCommand({}))).clusterArns).toEqual([westClusterArn]);
    // The other region's journal was opened at start: its task, whose process the clean stop killed, was picked
    // up and stopped as on a lost host.
    const stopped = await waitForTask(westAgain, westTaskArn, undefined, 'far');
    expect(stopped.stopCode).toBe('TerminationNotice');
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: td.taskDefinition!.taskDefinitionArn! }));
    expect(tags.tags).toEqual([{ key: 'k', value: 'v' }]);
    // The endpoint's own region still has its default cluster; the other region has none until made.
    const defaults = await westAgain.send(new DescribeClustersCommand({}));
    expect(defaults.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/default', reason: 'MISSING' },
    ]);
    expect((await ecs.send(new DescribeClustersCommand({}))).clusters?.[0]?.clusterName).toBe('default');
  } finally {
    westAgain.destroy();
    await second.close();
  }
});
