/**
 * The run workflow's capacity check, as pure math: would `count` copies of a task fit on the
 * cluster's container instances right now? It reuses the placement engine that the local ECS
 * emulator's RunTask uses (lib/placement), so "fits" means exactly "RunTask would place it",
 * fragmentation included: four instances with 1 vCPU free each cannot host one 2 vCPU task.
 *
 * Inputs are ECS's own shapes (DescribeContainerInstances' `containerInstances[]`,
 * DescribeTaskDefinition's `taskDefinition`, the workflow's PascalCase RunTask parameters); the
 * mapping follows "ContainerInstance" and "Resource" in the Amazon ECS API Reference:
 * `remainingResources` holds CPU and MEMORY as INTEGER and PORTS / PORTS_UDP as STRINGSET.
 *
 * Not visible to the check: the task groups of the tasks already on each instance (ListTasks
 * per instance would cost one call per instance), so `distinctInstance` and `spread` only see
 * the copies of this run; a run's group is its run id, whose earlier attempts have stopped.
 */
import type { ContainerInstance, Resource, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  type PlacementConstraintInput,
  type PlacementInstance,
  type PlacementOverrides,
  type PlacementStep,
  type PlacementStrategyInput,
  type PlacementTaskDefinition,
  placeTasks,
  type Shortfall,
  type TaskNeeds,
  taskNeeds,
} from '../placement/placement';

export interface CapacityRequest {
  /** Container instances as DescribeContainerInstances returns them. */
  instances: readonly ContainerInstance[];
  taskDefinition: PlacementTaskDefinition & {
    placementConstraints?: ReadonlyArray<{ type?: string; expression?: string }>;
  };
  count: number;
  overrides?: PlacementOverrides;
  /** RunTask's constraints; the task definition's are appended, as RunTask does. */
  placementConstraints?: readonly PlacementConstraintInput[];
  placementStrategy?: readonly PlacementStrategyInput[];
  /** The RunTask `group` (the run id). */
  group?: string;
  random?: () => number;
  /** Also explain each copy (a plan: lib/runs/plan-run.ts). */
  explain?: boolean;
}

export interface CapacityResult {
  fits: boolean;
  /** Copies of the `count` asked for that would be placed now (0..count). */
  placeableCount: number;
  /** ACTIVE container instances with a connected agent: the ones a task can land on. */
  instanceCount: number;
  /** What is missing; absent when the run fits. */
  shortfall?: Shortfall;
  /** With `explain`: copy by copy, where it goes or why each instance refuses it (`instanceIndex` into `instances`). */
  steps?: PlacementStep[];
  /** With `explain`: what one copy reserves. */
  needs?: TaskNeeds;
}

export function checkCapacity(request: CapacityRequest): CapacityResult {
  const needs = taskNeeds(request.taskDefinition, request.overrides);
  if (request.group !== undefined) needs.group = request.group;
  const instances = request.instances.map(toPlacementInstance);
  const result = placeTasks({
    instances,
    needs,
    count: request.count,
    placementConstraints: [
      ...(request.placementConstraints ?? []),
      ...(request.taskDefinition.placementConstraints ?? []),
    ],
    placementStrategy: request.placementStrategy ?? [],
    ...(request.random ? { random: request.random } : {}),
    ...(request.explain && { explain: true }),
  });
  return {
    fits: result.fits,
    placeableCount: result.placedCount,
    instanceCount: result.candidateCount,
    ...(result.fits ? {} : { shortfall: result.shortfall }),
    ...(result.steps !== undefined && { steps: result.steps, needs }),
  };
}

/** DescribeTaskDefinition's `taskDefinition`, as the capacity check reads it. */
export function placementTaskDefinition(td: TaskDefinition): CapacityRequest['taskDefinition'] {
  return {
    ...td,
    containerDefinitions: td.containerDefinitions ?? [],
    requiresAttributes: (td.requiresAttributes ?? []).flatMap((a) =>
      a.name === undefined ? [] : [a.value === undefined ? { name: a.name } : { name: a.name, value: a.value }],
    ),
  };
}

/** Maps one DescribeContainerInstances entry onto what the placement engine reads. */
export function toPlacementInstance(instance: ContainerInstance): PlacementInstance {
  const remaining = instance.remainingResources ?? [];
  const attributes: Record<string, string | undefined> = {};
  for (const attribute of instance.attributes ?? []) {
    if (attribute.name !== undefined) attributes[attribute.name] = attribute.value;
  }
  const target: PlacementInstance = {
    arn: instance.containerInstanceArn ?? '',
    status: instance.status ?? 'ACTIVE',
    agentConnected: instance.agentConnected === true,
    attributes,
    runningTasksCount: instance.runningTasksCount ?? 0,
    taskGroups: [],
    remaining: {
      cpu: integer(remaining, 'CPU'),
      memory: integer(remaining, 'MEMORY'),
      ports: ports(remaining, 'PORTS'),
      portsUdp: ports(remaining, 'PORTS_UDP'),
    },
  };
  if (instance.ec2InstanceId !== undefined) target.ec2InstanceId = instance.ec2InstanceId;
  if (instance.versionInfo?.agentVersion !== undefined) target.agentVersion = instance.versionInfo.agentVersion;
  if (instance.registeredAt !== undefined) target.registeredAt = instance.registeredAt;
  return target;
}

function integer(resources: readonly Resource[], name: string): number {
  const resource = resources.find((r) => r.name === name);
  return resource?.integerValue ?? (resource?.longValue === undefined ? 0 : Number(resource.longValue));
}

function ports(resources: readonly Resource[], name: string): number[] {
  const resource = resources.find((r) => r.name === name);
  return (resource?.stringSetValue ?? []).map(Number).filter((p) => Number.isInteger(p));
}

/** The workflow's PascalCase RunTask overrides, as the placement engine reads them. */
export function placementOverrides(
  overrides:
    | {
        Cpu?: string;
        Memory?: string;
        ContainerOverrides?: ReadonlyArray<{ Name: string; Cpu?: number; Memory?: number; MemoryReservation?: number }>;
      }
    | undefined,
): PlacementOverrides | undefined {
  if (overrides === undefined) return undefined;
  const out: PlacementOverrides = {};
  if (overrides.Cpu !== undefined) out.cpu = overrides.Cpu;
  if (overrides.Memory !== undefined) out.memory = overrides.Memory;
  if (overrides.ContainerOverrides !== undefined) {
    out.containerOverrides = overrides.ContainerOverrides.map((c) => ({
      name: c.Name,
      ...(c.Cpu === undefined ? {} : { cpu: c.Cpu }),
      ...(c.Memory === undefined ? {} : { memory: c.Memory }),
      ...(c.MemoryReservation === undefined ? {} : { memoryReservation: c.MemoryReservation }),
    }));
  }
  return out;
}
