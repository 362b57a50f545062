/**
 * Issue 13's acceptance, with only the AWS CLI against the local endpoint: a cluster made with create-cluster gets
 * capacity from register-container-instance (an m5.large identity document), put-attributes makes run-task's
 * memberOf constraint place there, start-task runs on that instance, tag-resource and list-tags-for-resource work
 * on the task definition, describe-clusters --include STATISTICS TAGS shows them; the same calls with
 * --region eu-west-1 make eu-west-1 ARNs and do not see us-east-1's cluster.
 */
import { awsCliIn, awsCliJsonIn } from './aws-cli';
import { identityDocument, startEcsEndpoint } from './ecs-cluster';
import { ACCOUNT_ID, type LocalEndpoint } from './endpoint';

jest.setTimeout(60_000);

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startEcsEndpoint({ clusterConfig: { clusters: [] } });
});

afterAll(async () => {
  await endpoint?.close();
});

const TASK_DEFINITION = JSON.stringify({
  family: 'acceptance',
  containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 256, memory: 128, command: ['sleep', '120'] }],
});

/** The whole sequence in one region; returns what it made. */
async function sequence(region: string) {
  const cli = (...args: string[]) => awsCliJsonIn(region, 'ecs', endpoint.url, ...args);
  const created = await cli('create-cluster', '--cluster-name', 'c1', '--tags', 'key=team,value=data');
  expect(created.cluster.clusterArn).toBe(`arn:aws:ecs:${region}:${ACCOUNT_ID}:cluster/c1`);

  const registered = await cli(
    'register-container-instance',
    '--cluster',
    'c1',
    '--instance-identity-document',
    identityDocument({ instanceType: 'm5.large', availabilityZone: `${region}a`, region }),
  );
  const instance = registered.containerInstance.containerInstanceArn as string;
  expect(instance).toMatch(new RegExp(`^arn:aws:ecs:${region}:${ACCOUNT_ID}:container-instance/c1/[0-9a-f]{32}$`));
  expect(registered.containerInstance.attributes).toContainEqual({ name: 'ecs.instance-type', value: 'm5.large' });

  await cli('put-attributes', '--cluster', 'c1', '--attributes', `name=workload,value=batch,targetId=${instance}`);
  const definition = await cli('register-task-definition', '--cli-input-json', TASK_DEFINITION);
  const definitionArn = definition.taskDefinition.taskDefinitionArn as string;
  expect(definitionArn).toBe(`arn:aws:ecs:${region}:${ACCOUNT_ID}:task-definition/acceptance:1`);

  const run = await cli(
    'run-task',
    '--cluster',
    'c1',
    '--task-definition',
    'acceptance',
    '--placement-constraints',
    'type=memberOf,expression=attribute:workload == batch',
  );
  expect(run.failures).toEqual([]);
  expect(run.tasks[0].containerInstanceArn).toBe(instance);
  expect(run.tasks[0].taskArn).toMatch(new RegExp(`^arn:aws:ecs:${region}:${ACCOUNT_ID}:task/c1/`));

  const started = await cli(
    'start-task',
    '--cluster',
    'c1',
    '--task-definition',
    'acceptance',
    '--container-instances',
    instance,
  );
  expect(started.failures).toEqual([]);
  expect(started.tasks[0].containerInstanceArn).toBe(instance);

  await cli('tag-resource', '--resource-arn', definitionArn, '--tags', `key=region,value=${region}`);
  const listed = await cli('list-tags-for-resource', '--resource-arn', definitionArn);
  expect(listed.tags).toEqual([{ key: 'region', value: region }]);

  const described = await cli('describe-clusters', '--clusters', 'c1', '--include', 'STATISTICS', 'TAGS');
  const cluster = described.clusters[0];
  expect(cluster.tags).toEqual([{ key: 'team', value: 'data' }]);
  expect(cluster.registeredContainerInstancesCount).toBe(1);
  const statistic = (name: string) => Number(cluster.statistics.find((s: { name: string }) => s.name === name)?.value);
  expect(statistic('runningEC2TasksCount') + statistic('pendingEC2TasksCount')).toBe(2);
  return { clusterArn: created.cluster.clusterArn as string, definitionArn };
}

it('runs the sequence with the CLI in us-east-1, then in eu-west-1 apart from it', async () => {
  const east = await sequence('us-east-1');
  const west = await sequence('eu-west-1');
  expect(west.clusterArn).not.toBe(east.clusterArn);

  // eu-west-1 does not see us-east-1's cluster or task definition, nor us-east-1 eu-west-1's.
  const fromWest = await awsCliJsonIn(
    'eu-west-1',
    'ecs',
    endpoint.url,
    'describe-clusters',
    '--clusters',
    east.clusterArn,
  );
  expect(fromWest.clusters).toEqual([]);
  expect(fromWest.failures).toEqual([{ arn: east.clusterArn, reason: 'MISSING' }]);
  const listed = await awsCliJsonIn('eu-west-1', 'ecs', endpoint.url, 'list-clusters');
  expect(listed.clusterArns).toEqual([west.clusterArn]);
  const foreign = await awsCliIn(
    'us-east-1',
    'ecs',
    endpoint.url,
    'list-tags-for-resource',
    '--resource-arn',
    west.definitionArn,
  );
  expect(foreign.code).not.toBe(0);
  expect(foreign.stderr).toContain('(ResourceNotFoundException)');
});
