/**
 * What one copy of a task reserves on a container instance, computed as ECS does for the EC2
 * launch type (see "Task definition parameters": task size, container memory and
 * memoryReservation, portMappings; and "Task networking for tasks on Amazon EC2 instances").
 *
 * - CPU: the task-level `cpu` when set, else the sum of the containers' `cpu` (0 when absent).
 * - Memory: the task-level `memory` when set, else the sum over containers of `memoryReservation`
 *   where set, else `memory` (the soft limit is what is reserved).
 * - Overrides (RunTask `overrides`) win: task-level `cpu`/`memory`, and per container (by name)
 *   `cpu`/`memory`/`memoryReservation`.
 * - Static host ports: `bridge` (the Linux default) binds `hostPort` when it is set and non-zero
 *   (0 or absent is a dynamic port and reserves nothing ahead); `host` binds `hostPort`, else
 *   `containerPort`; `awsvpc` tasks get their own network interface and bind nothing on the
 *   instance (they use an ENI instead, which Berth does not model); `none` has no ports.
 * - `requiresAttributes` (which ECS computes when a definition is registered) become
 *   `requiredAttributes`, checked as `ATTRIBUTE`.
 * - The group defaults to ECS's `family:<family>`; RunTask's `group` replaces it.
 */
import { PlacementParameterError } from './errors';
import type { RequiredAttribute, TaskNeeds } from './types';

type Integerish = number | string;

/** The parts of an ECS task definition (camelCase, as Describe/RegisterTaskDefinition use) that placement reads. */
export interface PlacementTaskDefinition {
  family?: string;
  /** Task-level CPU units; ECS stores a string of an integer ("256"). */
  cpu?: Integerish;
  /** Task-level MiB; ECS stores a string of an integer ("512"). */
  memory?: Integerish;
  networkMode?: string;
  requiresAttributes?: ReadonlyArray<{ name: string; value?: string }>;
  containerDefinitions: ReadonlyArray<PlacementContainerDefinition>;
}

export interface PlacementContainerDefinition {
  name?: string;
  cpu?: Integerish;
  memory?: Integerish;
  memoryReservation?: Integerish;
  portMappings?: ReadonlyArray<{ containerPort?: number; hostPort?: number; protocol?: string }>;
}

/** RunTask `overrides`, the parts that change what a task reserves. */
export interface PlacementOverrides {
  cpu?: Integerish;
  memory?: Integerish;
  containerOverrides?: ReadonlyArray<{
    name?: string;
    cpu?: Integerish;
    memory?: Integerish;
    memoryReservation?: Integerish;
  }>;
}

export function taskNeeds(taskDefinition: PlacementTaskDefinition, overrides?: PlacementOverrides): TaskNeeds {
  const containers = taskDefinition.containerDefinitions.map((container, i) => {
    const override = overrides?.containerOverrides?.find((o) => o.name !== undefined && o.name === container.name);
    const at = `containerDefinitions[${i}]`;
    return {
      cpu: amount(override?.cpu, `${at}.cpu override`) ?? amount(container.cpu, `${at}.cpu`) ?? 0,
      reserved:
        amount(override?.memoryReservation, `${at}.memoryReservation override`) ??
        amount(container.memoryReservation, `${at}.memoryReservation`) ??
        amount(override?.memory, `${at}.memory override`) ??
        amount(container.memory, `${at}.memory`) ??
        0,
      portMappings: container.portMappings ?? [],
    };
  });

  const cpu =
    amount(overrides?.cpu, 'overrides.cpu') ??
    amount(taskDefinition.cpu, 'cpu') ??
    containers.reduce((sum, c) => sum + c.cpu, 0);
  const memory =
    amount(overrides?.memory, 'overrides.memory') ??
    amount(taskDefinition.memory, 'memory') ??
    containers.reduce((sum, c) => sum + c.reserved, 0);

  const mode = taskDefinition.networkMode ?? 'bridge';
  const tcp = new Set<number>();
  const udp = new Set<number>();
  for (const container of containers) {
    for (const mapping of container.portMappings) {
      const port =
        mode === 'host' ? (mapping.hostPort ?? mapping.containerPort) : boundInBridge(mode, mapping.hostPort);
      if (port === undefined || port <= 0) continue;
      (mapping.protocol?.toLowerCase() === 'udp' ? udp : tcp).add(port);
    }
  }

  const needs: TaskNeeds = { cpu, memory, tcpPorts: [...tcp], udpPorts: [...udp] };
  if (taskDefinition.family) needs.group = `family:${taskDefinition.family}`;
  const required: RequiredAttribute[] = (taskDefinition.requiresAttributes ?? []).map((a) =>
    a.value === undefined ? { name: a.name } : { name: a.name, value: a.value },
  );
  if (required.length > 0) needs.requiredAttributes = required;
  return needs;
}

/** Windows' `default` (NAT) mode maps ports like bridge; awsvpc and none bind nothing on the instance. */
function boundInBridge(mode: string, hostPort: number | undefined): number | undefined {
  return mode === 'bridge' || mode === 'default' ? hostPort : undefined;
}

/** A CPU or memory amount as ECS stores it (a number, or a string of digits); undefined when absent. */
function amount(value: Integerish | undefined, path: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n) || n < 0) {
    throw new PlacementParameterError(`${path} must be a non-negative whole number, not ${JSON.stringify(value)}.`);
  }
  return n;
}
