/**
 * Custom attributes on container instances: PutAttributes, ListAttributes (filters, pages), DeleteAttributes, with
 * ECS's limits and errors; RunTask's memberOf constraints and Berth's capacity check see them at once.
 */
import {
  CreateClusterCommand,
  DeleteAttributesCommand,
  DescribeContainerInstancesCommand,
  ListAttributesCommand,
  PutAttributesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { checkCapacity } from '../../lib/capacity/capacity';
import { awsCliJson } from './aws-cli';
import { identityDocument, startEcsEndpoint } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
const instances: string[] = [];

beforeAll(async () => {
  endpoint = await startEcsEndpoint({ clusterConfig: { clusters: [] } });
  const { ecs } = endpoint;
  await ecs.send(new CreateClusterCommand({ clusterName: 'attrs' }));
  for (const id of ['i-0000000000000000a', 'i-0000000000000000b', 'i-0000000000000000c']) {
    const out = await ecs.send(
      new RegisterContainerInstanceCommand({
        cluster: 'attrs',
        instanceIdentityDocument: identityDocument({ instanceId: id }),
      }),
    );
    instances.push(out.containerInstance!.containerInstanceArn!);
  }
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'picky',
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64 }],
    }),
  );
});

afterAll(async () => {
  await endpoint?.close();
});

const shortId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

it('puts, lists (filtered, in pages) and deletes attributes', async () => {
  const { ecs } = endpoint;
  const put = await ecs.send(
    new PutAttributesCommand({
      cluster: 'attrs',
      attributes: [
        { name: 'color', value: 'blue', targetId: instances[0] },
        { name: 'color', value: 'red', targetId: shortId(instances[1]!), targetType: 'container-instance' },
        { name: 'gpu', targetId: instances[1] },
      ],
    }),
  );
  expect(put.attributes).toHaveLength(3);

  const colors = await ecs.send(
    new ListAttributesCommand({ cluster: 'attrs', targetType: 'container-instance', attributeName: 'color' }),
  );
  expect(colors.attributes?.map((a) => [a.value, a.targetId])).toEqual(
    expect.arrayContaining([
      ['blue', instances[0]],
      ['red', instances[1]],
    ]),
  );
  expect(colors.attributes).toHaveLength(2);
  const red = await ecs.send(
    new ListAttributesCommand({
      cluster: 'attrs',
      targetType: 'container-instance',
      attributeName: 'color',
      attributeValue: 'red',
    }),
  );
  expect(red.attributes).toEqual([
    { name: 'color', value: 'red', targetType: 'container-instance', targetId: instances[1] },
  ]);
  // Every attribute, ECS's own too, one page of 7 at a time.
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await ecs.send(
      new ListAttributesCommand({
        cluster: 'attrs',
        targetType: 'container-instance',
        maxResults: 7,
        nextToken: token,
      }),
    );
    expect(page.attributes!.length).toBeLessThanOrEqual(7);
    seen.push(...page.attributes!.map((a) => `${a.targetId}|${a.name}`));
    token = page.nextToken;
    pages++;
  } while (token !== undefined && pages < 100);
  expect(new Set(seen).size).toBe(seen.length);
  expect(seen.filter((s) => s.endsWith('|ecs.instance-type'))).toHaveLength(3);
  expect(seen).toContain(`${instances[1]}|gpu`);

  await ecs.send(
    new DeleteAttributesCommand({ cluster: 'attrs', attributes: [{ name: 'gpu', targetId: instances[1] }] }),
  );
  const gone = await ecs.send(
    new ListAttributesCommand({ cluster: 'attrs', targetType: 'container-instance', attributeName: 'gpu' }),
  );
  expect(gone.attributes).toEqual([]);
});

it('places memberOf on a custom attribute, and the capacity check sees it at once', async () => {
  const { ecs } = endpoint;
  const constraint = { type: 'memberOf' as const, expression: 'attribute:tier == gold' };
  const before = await ecs.send(
    new RunTaskCommand({ cluster: 'attrs', taskDefinition: 'picky', placementConstraints: [constraint] }),
  );
  expect(before.tasks).toEqual([]);
  expect(before.failures?.[0]?.reason).toBe('MemberOf placement constraint unsatisfied.');
  const capacity = async () => {
    const described = await ecs.send(
      new DescribeContainerInstancesCommand({ cluster: 'attrs', containerInstances: instances }),
    );
    return checkCapacity({
      instances: described.containerInstances!,
      taskDefinition: { containerDefinitions: [{ name: 'main', cpu: 128, memory: 64 }] },
      count: 1,
      placementConstraints: [constraint],
    });
  };
  expect((await capacity()).fits).toBe(false);

  await ecs.send(
    new PutAttributesCommand({
      cluster: 'attrs',
      attributes: [{ name: 'tier', value: 'gold', targetId: instances[2] }],
    }),
  );
  expect((await capacity()).fits).toBe(true);
  const after = await ecs.send(
    new RunTaskCommand({ cluster: 'attrs', taskDefinition: 'picky', count: 3, placementConstraints: [constraint] }),
  );
  expect(after.tasks?.map((t) => t.containerInstanceArn)).toEqual([instances[2], instances[2], instances[2]]);
});

it('refuses what ECS refuses', async () => {
  const { ecs } = endpoint;
  const put = (attributes: Record<string, unknown>[], cluster = 'attrs') =>
    ecs.send(new PutAttributesCommand({ cluster, attributes } as never));
  await expect(put([])).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(
    put(Array.from({ length: 11 }, (_, i) => ({ name: `a${i}`, targetId: instances[0] }))),
  ).rejects.toMatchObject({ name: 'InvalidParameterException', message: "'attributes' can have at most 10 items." });
  await expect(
    put(Array.from({ length: 10 }, (_, i) => ({ name: `many${i}`, targetId: instances[0] }))),
  ).rejects.toMatchObject({
    name: 'AttributeLimitExceededException',
    message: 'You can apply up to 10 custom attributes for each resource.',
  });
  await expect(
    put([
      {
        name: 'x',
        targetId: 'arn:aws:ecs:us-east-1:123456789012:container-instance/attrs/0123456789abcdef0123456789abcdef',
      },
    ]),
  ).rejects.toMatchObject({ name: 'TargetNotFoundException', message: expect.stringContaining("wasn't found") });
  await expect(put([{ name: 'x', targetId: shortId(instances[0]!) }])).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: expect.stringContaining('targetType'),
  });
  await expect(put([{ name: 'bad name', targetId: instances[0] }])).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  await expect(put([{ name: 'v', value: ' padded', targetId: instances[0] }])).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  await expect(put([{ name: 'x', targetId: instances[0] }], 'nowhere')).rejects.toMatchObject({
    name: 'ClusterNotFoundException',
  });
  await expect(
    ecs.send(new ListAttributesCommand({ cluster: 'attrs', targetType: 'container-instance', attributeValue: 'x' })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  await expect(
    ecs.send(new ListAttributesCommand({ cluster: 'attrs', targetType: 'task' as never })),
  ).rejects.toMatchObject({ name: 'InvalidParameterException' });
});

it('works through the CLI', async () => {
  const cli = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);
  await cli('put-attributes', '--cluster', 'attrs', '--attributes', `name=zone,value=blue,targetId=${instances[0]}`);
  const listed = await cli(
    'list-attributes',
    '--cluster',
    'attrs',
    '--target-type',
    'container-instance',
    '--attribute-name',
    'zone',
  );
  expect(listed.attributes).toEqual([
    { name: 'zone', value: 'blue', targetType: 'container-instance', targetId: instances[0] },
  ]);
  await cli('delete-attributes', '--cluster', 'attrs', '--attributes', `name=zone,targetId=${instances[0]}`);
});
