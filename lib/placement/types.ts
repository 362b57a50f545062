/**
 * Shapes shared by the placement engine and its two callers: the local ECS emulator's RunTask and
 * the run workflow's Check Capacity Lambda. Plain structural types (no SDK imports), so each
 * caller maps its own objects onto them.
 */

/** What the cluster query language reads from a container instance. */
export interface ClusterQueryTarget {
  ec2InstanceId?: string;
  agentConnected: boolean;
  agentVersion?: string;
  /**
   * Instance attributes by name. An attribute can exist without a value (ECS's `value` is
   * optional, e.g. `ecs.capability.task-eni`): give the key with `undefined`.
   */
  attributes: Readonly<Record<string, string | undefined>>;
  runningTasksCount: number;
  /** A Date, an ISO-8601 string or epoch milliseconds. */
  registeredAt?: Date | string | number;
  /**
   * The task group of each task on the instance, one entry per task (repeat a group for each of
   * its tasks), or the number of tasks per group (a Map, groups with no task left out: O(1) to
   * count, for a caller that holds many tasks): `spread` counts them; `distinctInstance` and
   * `task:group` test membership.
   */
  taskGroups: readonly string[] | ReadonlyMap<string, number>;
}

/** Tasks of `group` in `taskGroups` (either form). */
export function countTaskGroup(taskGroups: ClusterQueryTarget['taskGroups'], group: string): number {
  if (!Array.isArray(taskGroups)) return (taskGroups as ReadonlyMap<string, number>).get(group) ?? 0;
  let n = 0;
  for (const g of taskGroups as readonly string[]) if (g === group) n++;
  return n;
}

/** The distinct groups in `taskGroups` (either form; an array may repeat them). */
export function taskGroupNames(taskGroups: ClusterQueryTarget['taskGroups']): Iterable<string> {
  return Array.isArray(taskGroups)
    ? (taskGroups as readonly string[])
    : (taskGroups as ReadonlyMap<string, number>).keys();
}

/** `taskGroups` plus one task of `group`, as a new value of the same form. */
export function addTaskGroup(
  taskGroups: ClusterQueryTarget['taskGroups'],
  group: string,
): ClusterQueryTarget['taskGroups'] {
  if (Array.isArray(taskGroups)) return [...(taskGroups as readonly string[]), group];
  const counts = new Map(taskGroups as ReadonlyMap<string, number>);
  counts.set(group, (counts.get(group) ?? 0) + 1);
  return counts;
}

export interface InstanceResources {
  /** CPU units still free (ECS `remainingResources` CPU). */
  cpu: number;
  /** MiB still free (ECS `remainingResources` MEMORY). */
  memory: number;
  /** TCP host ports already reserved (ECS `remainingResources` PORTS). */
  ports: readonly number[];
  /** UDP host ports already reserved (ECS `remainingResources` PORTS_UDP). */
  portsUdp: readonly number[];
}

export interface PlacementInstance extends ClusterQueryTarget {
  /** Container instance ARN: what `failures[].arn` names. */
  arn: string;
  /** Only `ACTIVE` instances are considered; `DRAINING`, `INACTIVE`, ... are ignored entirely. */
  status: string;
  remaining: InstanceResources;
}

/** What one copy of the task reserves on the instance it is placed on. */
export interface TaskNeeds {
  cpu: number;
  memory: number;
  /** Static TCP host ports (dynamic bridge ports and awsvpc ports reserve nothing on the instance). */
  tcpPorts: readonly number[];
  udpPorts: readonly number[];
  /**
   * The task group (RunTask `group`; ECS's default is `family:<family>`). Without one,
   * `distinctInstance` and `spread` only count the copies placed by the same call.
   */
  group?: string;
  /** The task definition's `requiresAttributes`: an instance without one fails with `ATTRIBUTE`. */
  requiredAttributes?: readonly RequiredAttribute[];
}

export interface RequiredAttribute {
  name: string;
  /** When set, the instance's attribute must have exactly this value. */
  value?: string;
}

/** ECS `PlacementConstraint` (loose, so the SDK's type and parsed JSON both fit). */
export interface PlacementConstraintInput {
  type?: string;
  expression?: string;
}

/** ECS `PlacementStrategy` (loose, so the SDK's type and parsed JSON both fit). */
export interface PlacementStrategyInput {
  type?: string;
  field?: string;
}

export interface PlacementRequest {
  instances: readonly PlacementInstance[];
  needs: TaskNeeds;
  /** Copies to place, 1..10 as in RunTask. */
  count: number;
  /** RunTask's constraints followed by the task definition's (ECS allows 10 in all). */
  placementConstraints?: readonly PlacementConstraintInput[];
  /** Applied in order, each breaking the ties of the ones before it (at most 5). */
  placementStrategy?: readonly PlacementStrategyInput[];
  /** Uniform in [0, 1); defaults to Math.random. Inject one for deterministic tests. */
  random?: () => number;
  /**
   * Also say, copy by copy, why each instance that did not take it refused it (a plan, as Nomad's `job plan`
   * explains its placements). The decisions are the same with or without it.
   */
  explain?: boolean;
}

/** The `failures[].reason` values ECS uses for EC2 placement. */
export const FailureReason = {
  Agent: 'AGENT',
  Attribute: 'ATTRIBUTE',
  Cpu: 'RESOURCE:CPU',
  Memory: 'RESOURCE:MEMORY',
  Ports: 'RESOURCE:PORTS',
  DistinctInstance: 'DistinctInstance placement constraint unsatisfied.',
  MemberOf: 'MemberOf placement constraint unsatisfied.',
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

export interface Placement {
  instanceArn: string;
  /** Index of the instance in `request.instances`, so a caller can find its own object again. */
  instanceIndex: number;
}

/** An entry of RunTask's `failures[]`. */
export interface PlacementFailure {
  /** Container instance ARN. */
  arn: string;
  reason: FailureReason;
}

export interface Shortfall {
  /** Copies that could not be placed (`count - placedCount`). */
  tasks: number;
  /**
   * CPU units the unplaced copies would reserve (`tasks * needs.cpu`), i.e. the room that would
   * have to be added on instances that satisfy the constraints. Present when `tasks > 0`.
   */
  cpu?: number;
  /** MiB the unplaced copies would reserve (`tasks * needs.memory`). Present when `tasks > 0`. */
  memory?: number;
  /**
   * Why the first unplaced copy found no instance: the reason of the filter that eliminated the
   * last candidates (ECS's "closest matching container instance"). Absent when `tasks` is 0 or the
   * request had no ACTIVE instance at all.
   */
  reason?: FailureReason;
}

/** Why one instance refused one copy, and what it had left when it did. */
export interface PlacementRefusal {
  arn: string;
  instanceIndex: number;
  reason: FailureReason;
  /** The instance's remaining CPU units and MiB at that moment (this call's earlier copies deducted). */
  remaining: { cpu: number; memory: number };
}

/** One copy of the task, in placement order: where it went, or (no `instanceArn`) that it found no room. */
export interface PlacementStep {
  /** 0-based copy number. */
  copy: number;
  instanceArn?: string;
  instanceIndex?: number;
  /** Instances that could have taken the copy (the chosen one among them); the strategies picked between them. */
  eligibleCount: number;
  /** Every ACTIVE instance that could not take the copy, in input order, with the first check it failed. */
  refusals: PlacementRefusal[];
}

export interface PlacementResult {
  /** One per placed copy, in placement order. */
  placements: Placement[];
  /**
   * RunTask's `failures[]`: empty when every copy was placed; otherwise one entry per ACTIVE
   * instance, in input order, with the reason that instance refused the first unplaced copy.
   */
  failures: PlacementFailure[];
  placedCount: number;
  /** `placedCount === count`. */
  fits: boolean;
  shortfall: Shortfall;
  /** Instances given. */
  instanceCount: number;
  /** Instances with status ACTIVE. ECS refuses a RunTask with none ("No Container Instances were found in your cluster."). */
  activeCount: number;
  /** ACTIVE instances with a connected agent: the ones that can take a task at all. */
  candidateCount: number;
  /** With `explain`: one step per copy asked for, the unplaced ones last. */
  steps?: PlacementStep[];
}
