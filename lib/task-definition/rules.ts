/**
 * ECS's rules that relate one field to another, run over a TaskView (see view.ts) so they still run when
 * an unrelated field is malformed. Messages are ECS's own where ECS has one (RegisterTaskDefinition's
 * ClientException texts), sometimes followed by a sentence saying what would be valid.
 */
import { FARGATE_CPU_VALUES, fargateMemory } from './fargate';
import type { Violation } from './validate';
import { type ContainerView, INVALID, known, type Read, type TaskView } from './view';

/** Taken on every container instance by SSH, the Docker daemon and the ECS agent. */
const RESERVED_HOST_PORTS: ReadonlySet<number> = new Set([22, 2375, 2376, 51678, 51679, 51680]);

interface Container extends ContainerView {
  path: string;
  /** How ECS names the container in its messages. */
  label: string;
}

/** Containers whose definition is an object; the others have been reported by the schema. */
function containersOf(task: TaskView): Container[] {
  if (!known(task.containers)) return [];
  return task.containers.flatMap((c, index) =>
    known(c)
      ? [{ ...c, path: `$.containerDefinitions[${index}]`, label: known(c.name) ? `'${c.name}'` : `#${index}` }]
      : [],
  );
}

/** True when every container could be read, so sums and "none of them" checks are not guesses. */
function allRead(task: TaskView): boolean {
  return known(task.containers) && task.containers.every(known);
}

function uniqueNames(containers: Container[], out: Violation[]) {
  const seen = new Set<string>();
  for (const c of containers) {
    if (!known(c.name)) continue;
    if (seen.has(c.name)) {
      out.push({ path: `${c.path}.name`, message: 'Container names must be unique within a Task Definition.' });
    }
    seen.add(c.name);
  }
}

function essentialContainer(task: TaskView, containers: Container[], out: Violation[]) {
  // An empty list is the schema's to report; an unreadable `essential` might have been true.
  if (containers.length === 0 || containers.some((c) => c.essential !== false)) return;
  if (!allRead(task)) return;
  out.push({ path: '$.containerDefinitions', message: "Task definition doesn't have any essential container." });
}

function memoryReservationBelowMemory(containers: Container[], out: Violation[]) {
  for (const c of containers) {
    if (known(c.memory) && known(c.memoryReservation) && c.memoryReservation >= c.memory) {
      out.push({
        path: `${c.path}.memoryReservation`,
        message: `Invalid setting for container ${c.label}. 'memoryReservation' must be less than 'memory'.`,
      });
    }
  }
}

/** EC2 places tasks by memory, so it needs to know how much each container takes. */
function memoryForEc2(task: TaskView, containers: Container[], out: Violation[]) {
  const compatibilities = task.requiresCompatibilities;
  if (compatibilities === INVALID || task.memory !== undefined) return;
  const ec2 = compatibilities === undefined || compatibilities.length === 0 || compatibilities.includes('EC2');
  if (!ec2) return;
  for (const c of containers) {
    if (c.memory === undefined && c.memoryReservation === undefined) {
      out.push({
        path: `${c.path}.memory`,
        message: `Invalid setting for container ${c.label}. At least one of 'memory' or 'memoryReservation' must be specified.`,
      });
    }
  }
}

function fargate(task: TaskView, out: Violation[]) {
  const compatibilities = task.requiresCompatibilities;
  if (!known(compatibilities) || !compatibilities.includes('FARGATE')) return;
  if (task.networkMode !== INVALID && task.networkMode !== 'awsvpc') {
    out.push({ path: '$.networkMode', message: "Fargate only supports network mode 'awsvpc'." });
  }
  // ECS's words, as CloudFormation relays them (aws/aws-cdk#29619, cn-terraform/terraform-aws-ecs-fargate#2).
  if (task.pidMode === 'host') {
    out.push({
      path: '$.pidMode',
      message:
        "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'.",
    });
  }
  if (known(task.ipcMode)) {
    out.push({ path: '$.ipcMode', message: 'Tasks using the Fargate launch type do not support ipcMode.' });
  }
  for (const field of ['cpu', 'memory'] as const) {
    if (task[field] === undefined) {
      out.push({ path: `$.${field}`, message: `Fargate requires that '${field}' be defined at the task level.` });
    }
  }
  if (!known(task.cpu)) return;
  const memory = fargateMemory(task.cpu);
  if (memory === undefined) {
    out.push({
      path: '$.cpu',
      message: `Invalid 'cpu' setting for task. Fargate supports ${FARGATE_CPU_VALUES.join(', ')} CPU units.`,
    });
  } else if (known(task.memory) && !memory.allows(task.memory)) {
    out.push({
      path: '$.memory',
      message:
        `No Fargate configuration exists for given values: ${task.cpu} CPU, ${task.memory} memory. ` +
        `With ${task.cpu} CPU units, Fargate supports ${memory.description}.`,
    });
  }
}

/** Sum over containers, or undefined when a container or its value could not be read. */
function sum(task: TaskView, containers: Container[], pick: (c: Container) => Read<number>) {
  if (!allRead(task)) return undefined;
  let total = 0;
  for (const c of containers) {
    const value = pick(c);
    if (value === INVALID) return undefined;
    total += value ?? 0;
  }
  return total;
}

function fitsTask(task: TaskView, containers: Container[], out: Violation[]) {
  if (known(task.cpu)) {
    const cpu = sum(task, containers, (c) => c.cpu);
    if (cpu !== undefined && cpu > task.cpu) {
      out.push({
        path: '$.containerDefinitions',
        message:
          "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'. " +
          `The containers ask for ${cpu} CPU units; the task has ${task.cpu}.`,
      });
    }
  }
  if (!known(task.memory)) return;
  const taskMemory = task.memory;
  const tooBig = containers.filter((c) => known(c.memory) && c.memory > taskMemory);
  for (const c of tooBig) {
    out.push({
      path: `${c.path}.memory`,
      message: `The 'memory' setting for container ${c.label} is greater than for the task.`,
    });
  }
  // One container over the limit also makes the sum exceed it: reporting both would say the same thing twice.
  if (tooBig.length > 0) return;
  const memory = sum(task, containers, (c) =>
    c.memory === INVALID || c.memoryReservation === INVALID ? INVALID : (c.memory ?? c.memoryReservation),
  );
  if (memory !== undefined && memory > taskMemory) {
    out.push({
      path: '$.containerDefinitions',
      message:
        "The sum of all container 'memory' (else 'memoryReservation') values cannot be greater than the value of " +
        `the task 'memory'. The containers ask for ${memory} MiB; the task has ${taskMemory}.`,
    });
  }
}

function portMappings(task: TaskView, containers: Container[], out: Violation[]) {
  if (task.networkMode === INVALID) return;
  const mode = task.networkMode ?? 'bridge';
  for (const c of containers) {
    if (!known(c.portMappings)) continue;
    if (mode === 'none' && c.portMappings.length > 0) {
      out.push({ path: `${c.path}.portMappings`, message: 'Port mappings are not allowed when networkMode=none.' });
      continue;
    }
    c.portMappings.forEach((mapping, j) => {
      if (!known(mapping)) return;
      const path = `${c.path}.portMappings[${j}]`;
      const { containerPort, hostPort } = mapping;
      if (containerPort === undefined && mapping.containerPortRange === undefined) {
        out.push({
          path: `${path}.containerPort`,
          message: `Invalid 'containerPort' setting for container ${c.label}. Give a containerPort or a containerPortRange.`,
        });
      }
      const sharesHostPorts = mode === 'awsvpc' || mode === 'host';
      if (sharesHostPorts && hostPort !== undefined && hostPort !== containerPort) {
        out.push({
          path: `${path}.hostPort`,
          message: `When networkMode=${mode}, the host ports and container ports in port mappings must match.`,
        });
      }
      // awsvpc tasks get their own network interface, so only bridge and host bind ports on the instance.
      const bound = mode === 'host' ? (hostPort ?? containerPort) : mode === 'bridge' ? hostPort : undefined;
      if (bound !== undefined && RESERVED_HOST_PORTS.has(bound)) {
        out.push({
          path: `${path}.${hostPort === undefined ? 'containerPort' : 'hostPort'}`,
          message: `Host port ${bound} is reserved on container instances (SSH, Docker and the ECS agent use 22, 2375, 2376 and 51678 to 51680).`,
        });
      }
    });
  }
}

/** ECS: "For each resource, each tag key must be unique, and each tag key can have only one value." */
function uniqueTagKeys(task: TaskView, out: Violation[]) {
  if (!known(task.tagKeys)) return;
  const seen = new Set<string>();
  task.tagKeys.forEach((key, i) => {
    if (!known(key)) return;
    if (seen.has(key))
      out.push({ path: `$.tags[${i}].key`, message: 'Tag keys must be unique within a Task Definition.' });
    seen.add(key);
  });
}

export function checkRules(task: TaskView): Violation[] {
  const out: Violation[] = [];
  const containers = containersOf(task);
  uniqueNames(containers, out);
  essentialContainer(task, containers, out);
  memoryReservationBelowMemory(containers, out);
  memoryForEc2(task, containers, out);
  fargate(task, out);
  fitsTask(task, containers, out);
  portMappings(task, containers, out);
  uniqueTagKeys(task, out);
  return out;
}
