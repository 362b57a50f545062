/**
 * The Check Capacity use case (the workflow's first state, and the state it returns to while
 * waiting for room or after a placement failure).
 * 1. Resolve where the task would go: no launchType and no capacityProviderStrategy means the
 *    cluster's default strategy, else the EC2 launch type (RunTask API reference, `launchType`);
 *    the container instances of step 3 are then listed while the cluster is described.
 * 2. Fargate (or an external launch) skips the check: there are no instances to look at.
 * 3. Otherwise describe the task definition (cached per warm container: a revision's ARN names
 *    immutable content), page through the ACTIVE container instances 100 at a time
 *    (ListContainerInstances, then DescribeContainerInstances with the same page), keep the ones
 *    whose agent is connected, and simulate placing `count` copies (lib/capacity/capacity.ts).
 * 4. Decide RUN, WAIT or GIVE_UP and mint the next RunTask's ClientToken (lib/runs/workflow.ts).
 */
import {
  type Cluster,
  type ContainerInstance,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { RunTaskParameters } from '../runs/types';
import {
  type CheckFindings,
  completeRunTask,
  decideCapacity,
  NO_TIMEOUT_SECONDS,
  runsOnContainerInstances,
  runTaskTarget,
  type WorkflowState,
} from '../runs/workflow';
import { checkCapacity, placementOverrides, placementTaskDefinition } from './capacity';

export interface CheckCapacityDeps {
  ecs: ECSClient;
  /** Task definitions by ARN; pass one Map per warm container. */
  taskDefinitions: Map<string, TaskDefinition>;
  now?: () => Date;
}

/** ECS's page size limit for ListContainerInstances and DescribeContainerInstances. */
export const PAGE_SIZE = 100;

/** The cluster is gone or ECS described no task definition: not something waiting fixes. */
export class CapacityCheckError extends Error {
  override readonly name = 'CapacityCheckError';
}

/** Neither a launch type nor a strategy: the cluster's default strategy decides where the task goes. */
const decidedByCluster = (runTask: RunTaskParameters) =>
  runTask.LaunchType === undefined && (runTask.CapacityProviderStrategy?.length ?? 0) === 0;

export async function checkRunCapacity(deps: CheckCapacityDeps, state: WorkflowState): Promise<WorkflowState> {
  // With neither a launch type nor a strategy, the cluster's default strategy decides where the task goes: its
  // container instances are listed while the cluster is described (unused when the strategy says Fargate).
  const listing = decidedByCluster(state.runTask) ? listConnectedInstances(deps.ecs, state.runTask.Cluster) : undefined;
  listing?.catch(() => undefined); // awaited below when used; unused, its failure does not matter
  const runTask = await resolveLaunchTarget(deps.ecs, state.runTask);
  const findings: CheckFindings = runsOnContainerInstances(runTask)
    ? await findRoom(deps, { ...state, runTask }, listing)
    : { checked: false, fits: true, placeableCount: runTask.Count, instanceCount: 0 };
  const decided = decideCapacity({ ...state, runTask }, findings, (deps.now ?? (() => new Date()))());
  return {
    ...state,
    runTask: completeRunTask(runTask),
    check: {
      ...decided,
      target: runTaskTarget(runTask),
      timeoutSeconds: state.timeoutSeconds ?? NO_TIMEOUT_SECONDS,
    },
  };
}

async function resolveLaunchTarget(ecs: ECSClient, runTask: RunTaskParameters): Promise<RunTaskParameters> {
  if (!decidedByCluster(runTask)) return runTask;
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [runTask.Cluster] }));
  const cluster = out.clusters?.[0];
  if (cluster === undefined) {
    throw new CapacityCheckError(
      `Cluster ${runTask.Cluster} was not found (${out.failures?.[0]?.reason ?? 'MISSING'}).`,
    );
  }
  return launchTargetOn(runTask, cluster);
}

/** Where RunTask sends a task with no launchType and no capacityProviderStrategy: the cluster's default strategy, else EC2. */
export function launchTargetOn(runTask: RunTaskParameters, cluster: Cluster): RunTaskParameters {
  if (!decidedByCluster(runTask)) return runTask;
  const strategy = cluster.defaultCapacityProviderStrategy ?? [];
  if (strategy.length === 0) return { ...runTask, LaunchType: 'EC2' };
  return {
    ...runTask,
    CapacityProviderStrategy: strategy.map((item) => ({
      CapacityProvider: item.capacityProvider ?? '',
      ...(item.weight === undefined ? {} : { Weight: item.weight }),
      ...(item.base === undefined ? {} : { Base: item.base }),
    })),
  };
}

async function findRoom(
  deps: CheckCapacityDeps,
  state: WorkflowState,
  listing?: Promise<ContainerInstance[]>,
): Promise<CheckFindings> {
  const { runTask } = state;
  const [taskDefinition, instances] = await Promise.all([
    describeTaskDefinition(deps, state.taskDefinitionArn),
    listing ?? listConnectedInstances(deps.ecs, runTask.Cluster),
  ]);
  const provider = autoScalingProvider(runTask);
  const result = checkCapacity({
    // An Auto Scaling group provider's tasks land only on its own instances (ContainerInstance.capacityProviderName).
    instances: provider === undefined ? instances : instances.filter((i) => i.capacityProviderName === provider),
    taskDefinition: placementTaskDefinition(taskDefinition),
    count: runTask.Count,
    overrides: placementOverrides(runTask.Overrides),
    placementConstraints: (runTask.PlacementConstraints ?? []).map((c) => ({ type: c.Type, expression: c.Expression })),
    placementStrategy: (runTask.PlacementStrategy ?? []).map((s) => ({ type: s.Type, field: s.Field })),
    group: state.runId,
  });
  return { checked: true, ...result };
}

/**
 * The Auto Scaling group provider that takes the run's tasks, if its strategy names one: the provider with a base,
 * else the heaviest (with at most 10 tasks, as the local ECS places them); undefined for Fargate or a launch type.
 */
export function autoScalingProvider(runTask: RunTaskParameters): string | undefined {
  const strategy = runTask.CapacityProviderStrategy ?? [];
  if (runTask.LaunchType !== undefined || strategy.length === 0) return undefined;
  const chosen =
    strategy.find((i) => (i.Base ?? 0) > 0) ?? [...strategy].sort((a, b) => (b.Weight ?? 0) - (a.Weight ?? 0))[0]!;
  return chosen.CapacityProvider === 'FARGATE' || chosen.CapacityProvider === 'FARGATE_SPOT'
    ? undefined
    : chosen.CapacityProvider;
}

async function describeTaskDefinition(deps: CheckCapacityDeps, arn: string): Promise<TaskDefinition> {
  const cached = deps.taskDefinitions.get(arn);
  if (cached !== undefined) return cached;
  const out = await deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
  if (out.taskDefinition === undefined) throw new CapacityCheckError(`ECS described no task definition for ${arn}.`);
  deps.taskDefinitions.set(arn, out.taskDefinition);
  return out.taskDefinition;
}

/** ACTIVE, agent-connected container instances of the cluster, 100 per List/Describe pair. */
export async function listConnectedInstances(ecs: ECSClient, cluster: string): Promise<ContainerInstance[]> {
  return listActiveInstances(ecs, cluster, (instance) => instance.agentConnected === true);
}

/** ACTIVE container instances of the cluster (those `keep` accepts), 100 per List/Describe pair. */
export async function listActiveInstances(
  ecs: ECSClient,
  cluster: string,
  keep: (instance: ContainerInstance) => boolean = () => true,
): Promise<ContainerInstance[]> {
  const connected: ContainerInstance[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListContainerInstancesCommand({ cluster, status: 'ACTIVE', maxResults: PAGE_SIZE, nextToken }),
    );
    const arns = page.containerInstanceArns ?? [];
    if (arns.length > 0) {
      const described = await ecs.send(new DescribeContainerInstancesCommand({ cluster, containerInstances: arns }));
      for (const instance of described.containerInstances ?? []) {
        // An instance can change state between the two calls: keep only what is still usable.
        if (instance.status === 'ACTIVE' && keep(instance)) connected.push(instance);
      }
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return connected;
}
