import {
  type ContainerInstance,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { CapacityCache, getClusterCapacity } from '../../../lib/capacity/cluster-capacity';
import { NotFoundError, PolicyError } from '../../../lib/errors';

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: 'us-east-1' });
const config = { runClusters: ['default'], defaultCluster: 'default' };
const CI = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/';
const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/';

function instance(i: number, remainingCpu: number, remainingMemory: number, connected = true): ContainerInstance {
  return {
    containerInstanceArn: `${CI}${i}`,
    ec2InstanceId: `i-${i}`,
    status: 'ACTIVE',
    agentConnected: connected,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    registeredResources: [
      { name: 'CPU', integerValue: 2048 },
      { name: 'MEMORY', integerValue: 4096 },
      { name: 'PORTS', stringSetValue: ['22'] },
    ],
    remainingResources: [
      { name: 'CPU', integerValue: remainingCpu },
      { name: 'MEMORY', integerValue: remainingMemory },
      { name: 'PORTS', stringSetValue: ['22'] },
    ],
    attributes: [{ name: 'ecs.instance-type', value: 't3.medium' }],
  };
}

/** `count` items served `size` per page, as ECS's List calls page with nextToken. */
function pages<T>(items: T[], input: { nextToken?: string; maxResults?: number }) {
  const start = input.nextToken ? Number(input.nextToken) : 0;
  const size = input.maxResults ?? 100;
  return {
    items: items.slice(start, start + size),
    nextToken: start + size < items.length ? String(start + size) : undefined,
  };
}

function serve(instances: ContainerInstance[], tasks: Task[]) {
  const byArn = new Map(instances.map((ci) => [ci.containerInstanceArn!, ci]));
  const tasksByArn = new Map(tasks.map((t) => [t.taskArn!, t]));
  ecsMock.on(ListContainerInstancesCommand).callsFake((input) => {
    const { items, nextToken } = pages(instances, input);
    return { containerInstanceArns: items.map((ci) => ci.containerInstanceArn!), nextToken };
  });
  ecsMock.on(DescribeContainerInstancesCommand).callsFake((input) => ({
    containerInstances: input.containerInstances.map((arn: string) => byArn.get(arn)),
  }));
  ecsMock.on(ListTasksCommand).callsFake((input) => {
    const { items, nextToken } = pages(tasks, input);
    return { taskArns: items.map((t) => t.taskArn!), nextToken };
  });
  ecsMock.on(DescribeTasksCommand).callsFake((input) => {
    if (input.tasks.length > 100) throw new Error('ECS describes at most 100 tasks per call');
    return { tasks: input.tasks.map((arn: string) => tasksByArn.get(arn)) };
  });
  ecsMock.on(DescribeTaskDefinitionCommand).callsFake((input) => ({
    taskDefinition: {
      taskDefinitionArn: input.taskDefinition,
      family: 'job',
      containerDefinitions: [
        { name: 'main', image: 'busybox', cpu: 256, memory: 512 },
        { name: 'side', image: 'busybox', cpu: 0, memoryReservation: 128, memory: 1024 },
      ],
    },
  }));
}

const task = (n: number, on: number, extra: Partial<Task> = {}): Task => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/default/${n}`,
  taskDefinitionArn: `${TD}job:1`,
  containerInstanceArn: `${CI}${on}`,
  lastStatus: 'RUNNING',
  desiredStatus: 'RUNNING',
  ...extra,
});

beforeEach(() => ecsMock.reset());

describe('getClusterCapacity', () => {
  it('splits what is used between Berth runs and the rest, per instance and in total', async () => {
    serve(
      [instance(1, 1024, 2048), instance(2, 2048, 4096, false)],
      [
        task(1, 1, { group: 'berth:run-a:1', startedBy: 'run-a' }),
        task(2, 1, { group: 'family:job', startedBy: 'someone', cpu: '512', memory: '1024' }),
      ],
    );
    const view = await getClusterCapacity({ ecs, config }, 'default');
    const [one, two] = view.instances;
    // The run's task reserves 256 CPU and 512 + 128 MiB (memoryReservation where set) from its definition.
    expect(one).toMatchObject({
      containerInstanceArn: `${CI}1`,
      registered: { cpu: 2048, memory: 4096, ports: [22] },
      remaining: { cpu: 1024, memory: 2048, ports: [22] },
      usedByRuns: { cpu: 256, memory: 640 },
      usedByOthers: { cpu: 768, memory: 1408 },
      attributes: { 'ecs.instance-type': 't3.medium' },
    });
    expect(one?.tasks.map((t) => [t.runId, t.reserved])).toEqual([
      ['run-a', { cpu: 256, memory: 640 }],
      [undefined, { cpu: 512, memory: 1024 }],
    ]);
    expect(two).toMatchObject({ agentConnected: false, tasks: [], usedByRuns: { cpu: 0, memory: 0 } });
    expect(view.totals).toEqual({
      instances: 2,
      connected: 1,
      registered: { cpu: 4096, memory: 8192 },
      remaining: { cpu: 3072, memory: 6144 },
      usedByRuns: { cpu: 256, memory: 640 },
      usedByOthers: { cpu: 768, memory: 1408 },
      tasks: 2,
      runs: 1,
    });
  });

  it('pages instances and tasks 100 at a time and describes a definition once', async () => {
    const instances = Array.from({ length: 250 }, (_, i) => instance(i, 2048, 4096));
    const tasks = Array.from({ length: 205 }, (_, i) =>
      task(i, i % 250, { group: `berth:run-${i}:1`, startedBy: `run-${i}` }),
    );
    serve(instances, tasks);
    const view = await getClusterCapacity({ ecs, config }, 'default');
    expect(view.totals).toMatchObject({ instances: 250, tasks: 205, runs: 205 });
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(3);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(3);
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand).length).toBeLessThanOrEqual(1);
  });

  it('answers from the cache within its period, and asks ECS again after it', async () => {
    serve([instance(1, 2048, 4096)], []);
    let clock = 0;
    const cache = new CapacityCache(3_000, 4, () => clock);
    await Promise.all([1, 2, 3].map(() => getClusterCapacity({ ecs, config, cache }, 'default')));
    clock = 2_999;
    await getClusterCapacity({ ecs, config, cache }, 'default');
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(1);
    clock = 3_000;
    await getClusterCapacity({ ecs, config, cache }, 'default');
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(2);
  });

  it('keeps at most maxClusters clusters and forgets a failed lookup', async () => {
    const cache = new CapacityCache(3_000, 2, () => 0);
    const wide = { runClusters: ['a', 'b', 'c'], defaultCluster: 'a' };
    serve([instance(1, 2048, 4096)], []);
    for (const c of ['a', 'b', 'c', 'a']) await getClusterCapacity({ ecs, config: wide, cache }, c);
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(4);
    ecsMock.reset();
    ecsMock
      .on(ListContainerInstancesCommand)
      .rejects(Object.assign(new Error('Cluster not found.'), { name: 'ClusterNotFoundException' }));
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    // a and c are kept (b went out when a came back): c is still answered from memory.
    await expect(getClusterCapacity({ ecs, config: wide, cache }, 'c')).resolves.toBeDefined();
    const gone = { runClusters: ['gone'], defaultCluster: 'gone' };
    await expect(getClusterCapacity({ ecs, config: gone, cache }, 'gone')).rejects.toThrow(NotFoundError);
    await expect(getClusterCapacity({ ecs, config: gone, cache }, 'gone')).rejects.toThrow(
      'Cluster gone does not exist.',
    );
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(2);
  });

  it("refuses a cluster outside the stage's runClusters before any ECS call (403)", async () => {
    serve([], []);
    const refused = getClusterCapacity({ ecs, config }, 'other');
    await expect(refused).rejects.toThrow(PolicyError);
    await expect(refused).rejects.toMatchObject({ statusCode: 403 });
    expect(ecsMock.calls()).toHaveLength(0);
  });
});
