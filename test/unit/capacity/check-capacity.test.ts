import {
  type ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListContainerInstancesCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { CapacityCheckError, checkRunCapacity } from '../../../lib/capacity/check-run';
import type { WorkflowState } from '../../../lib/runs/workflow';

const ecsMock = mockClient(ECSClient);
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1';
const NOW = new Date('2025-01-01T00:00:00Z');

function instance(i: number, cpu: number, connected = true): ContainerInstance {
  return {
    containerInstanceArn: `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${i}`,
    status: 'ACTIVE',
    agentConnected: connected,
    remainingResources: [
      { name: 'CPU', integerValue: cpu },
      { name: 'MEMORY', integerValue: 4096 },
    ],
  };
}

/** A cluster of `instances`, served 100 per page as ECS does. */
function serveCluster(instances: ContainerInstance[]) {
  const byArn = new Map(instances.map((ci) => [ci.containerInstanceArn!, ci]));
  ecsMock.on(ListContainerInstancesCommand).callsFake((input) => {
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const size = input.maxResults ?? 100;
    const page = instances.slice(start, start + size).map((ci) => ci.containerInstanceArn!);
    return {
      containerInstanceArns: page,
      nextToken: start + size < instances.length ? String(start + size) : undefined,
    };
  });
  ecsMock.on(DescribeContainerInstancesCommand).callsFake((input) => {
    if (input.containerInstances.length > 100) throw new Error('ECS describes at most 100 instances per call');
    return { containerInstances: input.containerInstances.map((arn: string) => byArn.get(arn)), failures: [] };
  });
}

const taskDefinition: TaskDefinition = {
  taskDefinitionArn: TD_ARN,
  family: 'job',
  containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 2048, memory: 512 }],
};

function state(extra: Partial<WorkflowState> = {}): WorkflowState {
  return {
    runId: 'run-1',
    submittedAt: NOW.toISOString(),
    taskDefinitionArn: TD_ARN,
    runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1, LaunchType: 'EC2' },
    retry: { attempts: 1, backoffSeconds: 0, backoffRate: 2, evaluateOnExit: [] },
    capacity: { waitSeconds: 30, checkIntervalSeconds: 10 },
    ...extra,
  };
}

const deps = () => ({ ecs: new ECSClient({}), taskDefinitions: new Map<string, TaskDefinition>(), now: () => NOW });

beforeEach(() => {
  ecsMock.reset();
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition });
});

describe('checkRunCapacity', () => {
  it('pages through 250 instances 100 at a time and finds the one with room', async () => {
    serveCluster([...Array.from({ length: 249 }, (_, i) => instance(i, 1024)), instance(249, 2048)]);
    const out = await checkRunCapacity(deps(), state());
    expect(ecsMock.commandCalls(ListContainerInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'default', status: 'ACTIVE', maxResults: 100, nextToken: undefined },
      { cluster: 'default', status: 'ACTIVE', maxResults: 100, nextToken: '100' },
      { cluster: 'default', status: 'ACTIVE', maxResults: 100, nextToken: '200' },
    ]);
    expect(
      ecsMock.commandCalls(DescribeContainerInstancesCommand).map((c) => c.args[0].input.containerInstances?.length),
    ).toEqual([100, 100, 50]);
    expect(out.check).toMatchObject({
      attempt: 1,
      checked: true,
      fits: true,
      placeableCount: 1,
      instanceCount: 250,
      decision: 'RUN',
      target: 'LAUNCH_TYPE',
      clientToken: 'run-1-1-1',
      timeoutSeconds: 99_999_999,
      waitedSeconds: 0,
      checks: 1,
      checkedAt: NOW.toISOString(),
    });
    // What the Run Task states read is always there, with ECS's neutral values.
    expect(out.runTask).toEqual({
      Cluster: 'default',
      TaskDefinition: TD_ARN,
      Count: 1,
      LaunchType: 'EC2',
      Overrides: {},
      PlacementConstraints: [],
      PlacementStrategy: [],
      Tags: [],
      PropagateTags: 'NONE',
    });
    // The rest of the state passes through.
    expect(out.retry).toEqual(state().retry);
  });

  it('fragmentation: four instances with 1 vCPU each is no room for a 2 vCPU task; waits', async () => {
    serveCluster([1, 2, 3, 4].map((i) => instance(i, 1024)));
    const out = await checkRunCapacity(deps(), state());
    expect(out.check).toMatchObject({
      fits: false,
      placeableCount: 0,
      instanceCount: 4,
      decision: 'WAIT',
      shortfall: { tasks: 1, cpu: 2048, memory: 512, reason: 'RESOURCE:CPU' },
    });
    expect(out.check?.message).toBe(
      '1 of 1 task does not fit on the 4 container instances of cluster default: it needs 2048 CPU units and 512 MiB (closest instance: RESOURCE:CPU); waited 0 of 30 s.',
    );
  });

  it('ignores instances whose agent is disconnected', async () => {
    serveCluster([instance(1, 4096, false), instance(2, 1024)]);
    const out = await checkRunCapacity(deps(), state());
    expect(out.check).toMatchObject({ fits: false, instanceCount: 1 });
  });

  it('counts the wait in intervals and gives up once waitSeconds is spent', async () => {
    serveCluster([instance(1, 1024)]);
    const d = deps();
    let s = await checkRunCapacity(d, state());
    const decisions = [s.check?.decision];
    while (s.check?.decision === 'WAIT') {
      s = await checkRunCapacity(d, s);
      decisions.push(s.check?.decision);
    }
    expect(decisions).toEqual(['WAIT', 'WAIT', 'WAIT', 'GIVE_UP']);
    expect(s.check).toMatchObject({ waitedSeconds: 30, checks: 4, clientToken: 'run-1-1-4' });
    expect(s.check?.message).toMatch(/^1 of 1 task does not fit .* after waiting 30 s: it needs 2048 CPU units/);
    // The task definition was described once: ARNs name immutable revisions.
    expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
  });

  it('runs when room appears within the budget', async () => {
    serveCluster([instance(1, 1024)]);
    const d = deps();
    const waiting = await checkRunCapacity(d, state());
    serveCluster([instance(1, 2048)]);
    const ready = await checkRunCapacity(d, waiting);
    expect(ready.check).toMatchObject({ decision: 'RUN', waitedSeconds: 10, checks: 2, clientToken: 'run-1-1-2' });
  });

  it('gives up when RunTask keeps failing to place after good checks', async () => {
    serveCluster([instance(1, 4096)]);
    let s = state({ capacity: { waitSeconds: 10, checkIntervalSeconds: 10 } });
    s = await checkRunCapacity(deps(), s);
    expect(s.check?.decision).toBe('RUN');
    s = await checkRunCapacity(deps(), { ...s, failure: { Error: 'AmazonECS.Unknown', Cause: 'RESOURCE:CPU' } });
    expect(s.check?.decision).toBe('RUN');
    s = await checkRunCapacity(deps(), { ...s, failure: { Error: 'AmazonECS.Unknown', Cause: 'RESOURCE:CPU' } });
    expect(s.check).toMatchObject({ decision: 'GIVE_UP', fits: true, waitedSeconds: 20 });
    expect(s.check?.message).toContain('RunTask kept failing to place the task');
  });

  it('keeps the ClientToken after a RunTask that failed for a passing reason, not after a placement failure', async () => {
    serveCluster([instance(1, 4096)]);
    const first = await checkRunCapacity(deps(), state({ capacity: { waitSeconds: 600, checkIntervalSeconds: 10 } }));
    expect(first.check?.clientToken).toBe('run-1-1-1');
    for (const error of [
      'ECS.AmazonECSException',
      'ECS.ThrottlingException',
      'ECS.ServerException',
      'ECS.SdkClientException',
    ]) {
      const again = await checkRunCapacity(deps(), { ...first, failure: { Error: error, Cause: 'x' } });
      expect(again.check).toMatchObject({ decision: 'RUN', checks: 2, clientToken: 'run-1-1-1' });
    }
    const placed = await checkRunCapacity(deps(), { ...first, failure: { Error: 'AmazonECS.Unknown', Cause: 'x' } });
    expect(placed.check).toMatchObject({ checks: 2, clientToken: 'run-1-1-2' });
  });

  it('starts a new budget and token series for the next attempt', async () => {
    serveCluster([instance(1, 4096)]);
    const previous = await checkRunCapacity(deps(), state());
    const out = await checkRunCapacity(deps(), {
      ...previous,
      check: { ...previous.check!, waitedSeconds: 20, checks: 3 },
      outcome: {
        attempt: 1,
        outcome: 'FAILED',
        decision: 'RETRY',
        why: 'x',
        nextAttempt: 2,
        backoffSeconds: 0,
        error: { code: 'TaskFailed', message: 'x' },
        taskArns: [],
        containers: [],
      },
    });
    expect(out.check).toMatchObject({ attempt: 2, waitedSeconds: 0, checks: 1, clientToken: 'run-1-2-1' });
  });

  it('skips the check for Fargate without calling ECS', async () => {
    const out = await checkRunCapacity(
      deps(),
      state({
        runTask: {
          Cluster: 'default',
          TaskDefinition: TD_ARN,
          Count: 2,
          LaunchType: 'FARGATE',
          NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-1'] } },
        },
        timeoutSeconds: 600,
      }),
    );
    expect(ecsMock.calls()).toHaveLength(0);
    expect(out.check).toMatchObject({
      checked: false,
      fits: true,
      placeableCount: 2,
      decision: 'RUN',
      target: 'LAUNCH_TYPE_VPC',
      timeoutSeconds: 600,
    });
  });

  it("uses the cluster's default capacity provider strategy when the run names no launch type", async () => {
    ecsMock.on(DescribeClustersCommand).resolves({
      clusters: [
        { clusterName: 'default', defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] },
      ],
    });
    const out = await checkRunCapacity(
      deps(),
      state({ runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1 } }),
    );
    expect(out.runTask.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
    expect(out.check).toMatchObject({ checked: false, target: 'CAPACITY_PROVIDERS' });
  });

  it('falls back to the EC2 launch type when the cluster has no default strategy', async () => {
    ecsMock.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'default' }] });
    serveCluster([instance(1, 4096)]);
    const out = await checkRunCapacity(
      deps(),
      state({ runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1 } }),
    );
    expect(out.runTask.LaunchType).toBe('EC2');
    expect(out.check).toMatchObject({ checked: true, fits: true, target: 'LAUNCH_TYPE' });
  });

  it('lists the instances while it describes the cluster, when the default strategy decides', async () => {
    serveCluster([instance(1, 4096)]);
    const listing = () => ecsMock.commandCalls(ListContainerInstancesCommand).length > 0;
    let listedBeforeAnswer = false;
    ecsMock.on(DescribeClustersCommand).callsFake(async () => {
      // Waits up to a second for the listing to begin before it answers: the two calls go together.
      for (let i = 0; i < 100 && !listing(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      listedBeforeAnswer = listing();
      return { clusters: [{ clusterName: 'default' }] };
    });
    const out = await checkRunCapacity(
      deps(),
      state({ runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1 } }),
    );
    expect(listedBeforeAnswer).toBe(true);
    expect(ecsMock.commandCalls(ListContainerInstancesCommand)).toHaveLength(1);
    expect(out.check).toMatchObject({ checked: true, fits: true, target: 'LAUNCH_TYPE' });
  });

  it("counts only an Auto Scaling group provider's own instances", async () => {
    const roomy = { ...instance(1, 4096), capacityProviderName: 'other-asg' };
    const tight = { ...instance(2, 1024), capacityProviderName: 'big-asg' };
    serveCluster([roomy, tight]);
    const run = (provider: string) =>
      checkRunCapacity(
        deps(),
        state({
          runTask: {
            Cluster: 'default',
            TaskDefinition: TD_ARN,
            Count: 1,
            CapacityProviderStrategy: [{ CapacityProvider: provider, Base: 1 }],
          },
        }),
      );
    expect((await run('big-asg')).check).toMatchObject({ checked: true, fits: false });
    expect((await run('other-asg')).check).toMatchObject({ checked: true, fits: true });
  });

  it('fails on a missing cluster instead of waiting for it', async () => {
    ecsMock.on(DescribeClustersCommand).resolves({ clusters: [], failures: [{ arn: 'nope', reason: 'MISSING' }] });
    const run = checkRunCapacity(deps(), state({ runTask: { Cluster: 'nope', TaskDefinition: TD_ARN, Count: 1 } }));
    await expect(run).rejects.toThrow(CapacityCheckError);
    await expect(run).rejects.toThrow('Cluster nope was not found (MISSING).');
  });

  it('hashes a long run id so the ClientToken stays within 64 characters', async () => {
    serveCluster([instance(1, 4096)]);
    const out = await checkRunCapacity(deps(), state({ runId: 'r'.repeat(80) }));
    expect(out.check?.clientToken).toMatch(/^[0-9a-f]{60}-1-1$/);
  });
});
