/**
 * GET /clusters/{cluster}/capacity: what each ACTIVE container instance has registered and left, and what runs on it.
 * 1. The cluster must be one of the stage's runClusters (403, as POST /runs): the stage's roles reach no other.
 * 2. Page through the ACTIVE container instances as the capacity check does (ListContainerInstances, then
 *    DescribeContainerInstances, 100 at a time: lib/capacity/check-run.ts), and through the cluster's tasks
 *    (ListTasks, then DescribeTasks, 100 at a time; ListTasks' default desiredStatus RUNNING includes tasks still
 *    PENDING). A task is a Berth run's when its group is `berth:<run id>:<attempt>` and its startedBy that run id
 *    (lib/runs/task-group.ts: the run-task workflow sets both).
 * 3. What each task reserves: its task-level size when it has one, else its task definition's containers as the
 *    placement engine counts them (lib/placement/task-needs.ts); definitions are cached by ARN (immutable).
 * 4. Answers are cached per cluster for a few seconds (in flight ones shared), so a page refreshing every second
 *    costs ECS one round per cache period, not one per viewer per second.
 *
 * ECS pages: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListContainerInstances.html,
 * API_DescribeContainerInstances.html, API_ListTasks.html, API_DescribeTasks.html (at most 100 tasks per call).
 */
import {
  type ContainerInstance,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListTasksCommand,
  type Resource,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { NotFoundError } from '../errors';
import { taskNeeds } from '../placement/placement';
import { clusterName, type RunsConfig } from '../runs/config';
import { errorName } from '../runs/execution';
import { checkRunCluster } from '../runs/start-run';
import { parseTaskGroup } from '../runs/task-group';
import { placementOverrides, placementTaskDefinition } from './capacity';
import { listActiveInstances, PAGE_SIZE } from './check-run';
import type { ClusterCapacity, InstanceCapacity, InstanceTask } from './views';

export interface ClusterCapacityDeps {
  ecs: ECSClient;
  config: Pick<RunsConfig, 'runClusters' | 'defaultCluster'>;
  cache?: CapacityCache;
  now?: () => Date;
}

/** A few seconds of memory per cluster, bounded in clusters; a failed lookup is not kept. */
export class CapacityCache {
  private readonly entries = new Map<string, { at: number; value: Promise<ClusterCapacity> }>();
  constructor(
    readonly ttlMs = 3_000,
    readonly maxClusters = 32,
    private readonly clock: () => number = Date.now,
  ) {}

  get(cluster: string, load: () => Promise<ClusterCapacity>): Promise<ClusterCapacity> {
    const now = this.clock();
    const hit = this.entries.get(cluster);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.value;
    this.entries.delete(cluster);
    while (this.entries.size >= this.maxClusters) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    const value = load();
    const entry = { at: now, value };
    this.entries.set(cluster, entry);
    value.catch(() => {
      if (this.entries.get(cluster) === entry) this.entries.delete(cluster);
    });
    return value;
  }
}

/** Task definitions by ARN, bounded: a revision's ARN names immutable content. */
const definitions = new Map<string, Promise<TaskDefinition | undefined>>();
const MAX_DEFINITIONS = 200;

export async function getClusterCapacity(deps: ClusterCapacityDeps, cluster: string): Promise<ClusterCapacity> {
  checkRunCluster(cluster, deps.config as RunsConfig);
  const name = clusterName(cluster);
  const load = () => observe(deps, name);
  return deps.cache ? deps.cache.get(name, load) : load();
}

async function observe(deps: ClusterCapacityDeps, cluster: string): Promise<ClusterCapacity> {
  const observedAt = (deps.now ?? (() => new Date()))().toISOString();
  let instances: ContainerInstance[];
  let tasks: Task[];
  try {
    [instances, tasks] = await Promise.all([listActiveInstances(deps.ecs, cluster), listTasks(deps.ecs, cluster)]);
  } catch (err) {
    if (errorName(err) === 'ClusterNotFoundException') {
      throw new NotFoundError(`Cluster ${cluster} does not exist.`, '$.cluster');
    }
    throw err;
  }
  const reserved = await Promise.all(tasks.map((task) => reservedBy(deps.ecs, task)));
  const byInstance = new Map<string, InstanceTask[]>();
  tasks.forEach((task, i) => {
    const arn = task.containerInstanceArn;
    if (arn === undefined) return;
    const list = byInstance.get(arn) ?? [];
    list.push(describeTask(task, reserved[i]!));
    byInstance.set(arn, list);
  });

  const views = instances.map((instance) =>
    instanceView(instance, byInstance.get(instance.containerInstanceArn ?? '') ?? []),
  );
  const sum = (pick: (i: InstanceCapacity) => { cpu: number; memory: number }) =>
    views.reduce((acc, v) => ({ cpu: acc.cpu + pick(v).cpu, memory: acc.memory + pick(v).memory }), {
      cpu: 0,
      memory: 0,
    });
  return {
    cluster,
    observedAt,
    instances: views,
    totals: {
      instances: views.length,
      connected: views.filter((v) => v.agentConnected).length,
      registered: sum((v) => v.registered),
      remaining: sum((v) => v.remaining),
      usedByRuns: sum((v) => v.usedByRuns),
      usedByOthers: sum((v) => v.usedByOthers),
      tasks: views.reduce((n, v) => n + v.tasks.length, 0),
      runs: new Set(views.flatMap((v) => v.tasks.flatMap((t) => (t.runId === undefined ? [] : [t.runId])))).size,
    },
  };
}

function instanceView(instance: ContainerInstance, tasks: InstanceTask[]): InstanceCapacity {
  const registered = resources(instance.registeredResources ?? []);
  const remaining = resources(instance.remainingResources ?? []);
  const runs = tasks.filter((t) => t.runId !== undefined);
  const usedByRuns = {
    cpu: runs.reduce((n, t) => n + t.reserved.cpu, 0),
    memory: runs.reduce((n, t) => n + t.reserved.memory, 0),
  };
  const attributes: Record<string, string> = {};
  for (const a of instance.attributes ?? []) if (a.name !== undefined) attributes[a.name] = a.value ?? '';
  return {
    containerInstanceArn: instance.containerInstanceArn ?? '',
    ...(instance.ec2InstanceId !== undefined && { ec2InstanceId: instance.ec2InstanceId }),
    status: instance.status ?? 'ACTIVE',
    agentConnected: instance.agentConnected === true,
    registered,
    remaining,
    usedByRuns,
    // ECS's own accounting is the truth for the total; a task between List and Describe cannot make it negative.
    usedByOthers: {
      cpu: Math.max(0, registered.cpu - remaining.cpu - usedByRuns.cpu),
      memory: Math.max(0, registered.memory - remaining.memory - usedByRuns.memory),
    },
    attributes,
    runningTasksCount: instance.runningTasksCount ?? 0,
    pendingTasksCount: instance.pendingTasksCount ?? 0,
    tasks,
  };
}

function resources(list: readonly Resource[]): { cpu: number; memory: number; ports: number[] } {
  const amount = (name: string) => {
    const r = list.find((x) => x.name === name);
    return r?.integerValue ?? (r?.longValue === undefined ? 0 : Number(r.longValue));
  };
  const ports = (list.find((x) => x.name === 'PORTS')?.stringSetValue ?? []).map(Number).filter(Number.isInteger);
  return { cpu: amount('CPU'), memory: amount('MEMORY'), ports };
}

function describeTask(task: Task, reserved: { cpu: number; memory: number }): InstanceTask {
  const owner = parseTaskGroup(task.group);
  const runId = owner !== undefined && owner.runId === task.startedBy ? owner.runId : undefined;
  return {
    taskArn: task.taskArn ?? '',
    taskDefinitionArn: task.taskDefinitionArn ?? '',
    lastStatus: task.lastStatus ?? 'UNKNOWN',
    desiredStatus: task.desiredStatus ?? 'UNKNOWN',
    ...(task.group !== undefined && { group: task.group }),
    ...(task.startedBy !== undefined && { startedBy: task.startedBy }),
    ...(runId !== undefined && { runId }),
    reserved,
  };
}

async function listTasks(ecs: ECSClient, cluster: string): Promise<Task[]> {
  const tasks: Task[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListTasksCommand({ cluster, maxResults: PAGE_SIZE, nextToken }));
    const arns = page.taskArns ?? [];
    if (arns.length > 0) {
      const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
      tasks.push(...(described.tasks ?? []));
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return tasks;
}

/** What a task holds on its instance: as RunTask reserved it, from its size or its definition and overrides. */
async function reservedBy(ecs: ECSClient, task: Task): Promise<{ cpu: number; memory: number }> {
  const cpu = Number(task.cpu);
  const memory = Number(task.memory);
  if (task.cpu && task.memory && Number.isFinite(cpu) && Number.isFinite(memory)) return { cpu, memory };
  const td = task.taskDefinitionArn === undefined ? undefined : await describeDefinition(ecs, task.taskDefinitionArn);
  if (td === undefined) return { cpu: 0, memory: 0 };
  const overrides = task.overrides;
  const needs = taskNeeds(
    placementTaskDefinition(td),
    placementOverrides(
      overrides && {
        ...(overrides.cpu !== undefined && { Cpu: overrides.cpu }),
        ...(overrides.memory !== undefined && { Memory: overrides.memory }),
        ContainerOverrides: (overrides.containerOverrides ?? []).map((c) => ({
          Name: c.name ?? '',
          ...(c.cpu !== undefined && { Cpu: c.cpu }),
          ...(c.memory !== undefined && { Memory: c.memory }),
          ...(c.memoryReservation !== undefined && { MemoryReservation: c.memoryReservation }),
        })),
      },
    ),
  );
  return { cpu: needs.cpu, memory: needs.memory };
}

function describeDefinition(ecs: ECSClient, arn: string): Promise<TaskDefinition | undefined> {
  const hit = definitions.get(arn);
  if (hit !== undefined) return hit;
  if (definitions.size >= MAX_DEFINITIONS) {
    const oldest = definitions.keys().next().value;
    if (oldest !== undefined) definitions.delete(oldest);
  }
  const value = (async () => {
    try {
      return (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition;
    } catch (err) {
      definitions.delete(arn);
      throw err;
    }
  })();
  definitions.set(arn, value);
  return value;
}
