/** POST /runs/plan through the middy stack: refused exactly as POST /runs is, and the plan's explanations. */
import './env';
import {
  ClientException,
  type ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as plan } from '../../../functions/plan-run';
import { handler as start } from '../../../functions/start-run';
import { context, postJson } from '../api/event';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const CI = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/';
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/ingest:3';

const ec2Definition = (fields: Partial<TaskDefinition> = {}): TaskDefinition => ({
  taskDefinitionArn: TD_ARN,
  family: 'ingest',
  revision: 3,
  status: 'ACTIVE',
  networkMode: 'bridge',
  compatibilities: ['EC2'],
  containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 1024, memory: 1024 }],
  ...fields,
});

const instance = (name: string, cpu: number, memory: number): ContainerInstance => ({
  containerInstanceArn: CI + name,
  status: 'ACTIVE',
  agentConnected: true,
  remainingResources: [
    { name: 'CPU', integerValue: cpu },
    { name: 'MEMORY', integerValue: memory },
    { name: 'PORTS', stringSetValue: ['22'] },
  ],
});

function serve(td: TaskDefinition, instances: ContainerInstance[], cluster = {}) {
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: td });
  ecs.on(DescribeClustersCommand).callsFake((input) => ({
    clusters: [{ clusterName: input.clusters[0], status: 'ACTIVE', capacityProviders: [], ...cluster }],
  }));
  ecs
    .on(ListContainerInstancesCommand)
    .resolves({ containerInstanceArns: instances.map((i) => i.containerInstanceArn!) });
  ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: instances });
}

const call = async (fn: typeof plan, path: string, payload: unknown) => {
  const result = await fn(postJson(path, payload), context);
  return { status: result.statusCode, body: JSON.parse(result.body || '{}') };
};

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
});

describe('POST /runs/plan refuses what POST /runs refuses, with the same answer', () => {
  const faults: Array<[string, unknown, () => void]> = [
    ['a body that is not an object', [], () => serve(ec2Definition(), [])],
    ['count out of range', { taskDefinition: 'ingest:3', count: 11 }, () => serve(ec2Definition(), [])],
    ['a misspelt field', { taskDefinition: 'ingest:3', cuont: 1 }, () => serve(ec2Definition(), [])],
    [
      'a cluster outside runClusters',
      { taskDefinition: 'ingest:3', cluster: 'other' },
      () => serve(ec2Definition(), []),
    ],
    [
      'a family outside runFamilies',
      { taskDefinition: 'secret:1' },
      () => serve(ec2Definition({ family: 'secret' }), []),
    ],
    [
      'an unknown task definition',
      { taskDefinition: 'ingest:9' },
      () => {
        serve(ec2Definition(), []);
        ecs
          .on(DescribeTaskDefinitionCommand)
          .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
      },
    ],
    [
      'a launch type the definition lacks',
      { taskDefinition: 'ingest:3', launchType: 'FARGATE' },
      () => serve(ec2Definition(), []),
    ],
    [
      'an override of a container that does not exist',
      { taskDefinition: 'ingest:3', overrides: { containerOverrides: [{ name: 'nope' }] } },
      () => serve(ec2Definition(), []),
    ],
  ];
  it.each(faults)('%s', async (_name, payload, arrange) => {
    arrange();
    const planned = await call(plan, '/runs/plan', payload);
    arrange();
    const started = await call(start, '/runs', payload);
    expect(planned.status).toBeGreaterThanOrEqual(400);
    const { instance: _a, requestId: _b, ...plannedProblem } = planned.body;
    const { instance: _c, requestId: _d, ...startedProblem } = started.body;
    expect([planned.status, plannedProblem]).toEqual([started.status, startedProblem]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('POST /runs/plan', () => {
  it('places task by task and says, per instance, why not; the run would wait for the rest', async () => {
    serve(ec2Definition(), [instance('a', 2048, 1536), instance('b', 512, 4096)]);
    const { status, body } = await call(plan, '/runs/plan', { taskDefinition: 'ingest:3', count: 3 });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      taskDefinitionArn: TD_ARN,
      cluster: 'default',
      launch: 'EC2',
      checked: true,
      needs: { cpu: 1024, memory: 1024, ports: [] },
      fits: false,
      placeableCount: 1,
      instanceCount: 2,
      shortfall: { tasks: 2, cpu: 2048, memory: 2048, reason: 'RESOURCE:MEMORY' },
      decision: 'WAIT',
      wouldWait: true,
      capacity: { waitSeconds: 600, checkIntervalSeconds: 30 },
    });
    expect(body.tasks.map((t: { containerInstanceArn?: string }) => t.containerInstanceArn)).toEqual([
      `${CI}a`,
      undefined,
      undefined,
    ]);
    expect(body.tasks[0].refusals).toEqual([
      {
        containerInstanceArn: `${CI}b`,
        reason: 'RESOURCE:CPU',
        message: 'needs 1024 CPU units, 512 left',
        remaining: { cpu: 512, memory: 4096 },
      },
    ]);
    expect(body.tasks[1].refusals.map((r: { message: string }) => r.message)).toEqual([
      'needs 1024 MiB of memory, 512 MiB left',
      'needs 1024 CPU units, 512 left',
    ]);
    expect(body.message).toBe('1 of 3 tasks fit now: the run would wait for room, up to 600 s.');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('gives up at once when the run may not wait', async () => {
    serve(ec2Definition(), [instance('a', 512, 512)]);
    const { body } = await call(plan, '/runs/plan', { taskDefinition: 'ingest:3', capacity: { waitSeconds: 0 } });
    expect(body).toMatchObject({ fits: false, decision: 'GIVE_UP', wouldWait: false, placeableCount: 0 });
  });

  it('names the ports and the constraint that refuse', async () => {
    const td = ec2Definition({
      containerDefinitions: [
        { name: 'main', image: 'busybox', cpu: 10, memory: 10, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
      ],
    });
    serve(td, [instance('a', 4096, 4096), instance('b', 4096, 4096)]);
    const { body } = await call(plan, '/runs/plan', {
      taskDefinition: 'ingest:3',
      count: 2,
      placementConstraints: [{ type: 'memberOf', expression: 'ec2InstanceId == i-none' }],
    });
    expect(body.tasks[0].refusals.map((r: { message: string }) => r.message)).toEqual([
      'does not match a memberOf placement constraint',
      'does not match a memberOf placement constraint',
    ]);
    serve(td, [instance('a', 4096, 4096)]);
    const second = await call(plan, '/runs/plan', { taskDefinition: 'ingest:3', count: 2 });
    expect(second.body.tasks[1].refusals[0]).toMatchObject({
      reason: 'RESOURCE:PORTS',
      message: 'host port 8080 already taken',
    });
  });

  it('answers a FARGATE run without looking at container instances: it would start at once', async () => {
    serve(ec2Definition({ networkMode: 'awsvpc', compatibilities: ['EC2', 'FARGATE'], cpu: '256', memory: '512' }), []);
    const { status, body } = await call(plan, '/runs/plan', {
      taskDefinition: 'ingest:3',
      launchType: 'FARGATE',
      count: 4,
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      launch: 'FARGATE',
      checked: false,
      fits: true,
      placeableCount: 4,
      decision: 'RUN',
      tasks: [],
    });
    expect(ecs.commandCalls(ListContainerInstancesCommand)).toHaveLength(0);
  });
});
