/**
 * ECS tasks: RunTask placement, the task lifecycle, StopTask, and the state behind DescribeTasks and ListTasks,
 * served from in-memory indexes and made durable in the ECS DurableStore (`task/<cluster>/<id>`,
 * `client-token/<token>`). Follows https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html, API_StopTask.html, and the task
 * lifecycle in https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html:
 *
 *   (awsvpc) PROVISIONING -> PENDING -> [pull] -> RUNNING -> STOPPING -> (awsvpc) DEPROVISIONING -> STOPPED
 *
 * One step (BERTH_ECS_STEP_MS) passes between transitions; every change stores a new task object with `version`
 * + 1 before anyone can read it. Containers run through local/ecs/runtime (`process` or `simulate`).
 * - A container that cannot start: its `reason` is the runtime's CannotStartContainerError reason, the others are
 *   stopped, and the task stops with TaskFailedToStart and that reason as `stoppedReason`.
 * - An essential container that exits: the others are stopped (SIGTERM, SIGKILL after their `stopTimeout`,
 *   default 30 s as the agent's ECS_CONTAINER_STOP_TIMEOUT) and the task stops with EssentialContainerExited,
 *   "Essential container in task exited" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html).
 * - StopTask: UserInitiated, the given reason or "Task stopped by user"; a STOPPED task comes back as it is.
 * - A lost host (BerthLocal.StopHost): the tasks stop with "Host EC2 (instance i-...) stopped/terminated." and
 *   stopCode TerminationNotice; containers have no exit code.
 * - The endpoint restarting under unstopped tasks (a kill -9, or `npm start` stopped and started again): the
 *   host did not go away, only the agent did, and as a restarted ECS agent does, the new endpoint picks its
 *   tasks up again (recover). Their containers are adopted (runtime adoptContainer): one still running is
 *   watched and stopped as before (RUNNING stays RUNNING), one that ended while no endpoint ran ends with its
 *   real exit code, a simulated one goes on with what is left of its time, and a task caught while starting
 *   goes on starting (containers that had started are adopted, not started twice). Only a task one of whose
 *   containers ended in a way that cannot be known (killed by someone else while no endpoint ran, no /proc, its
 *   task definition deleted) is stopped as on a lost host, what is left of it killed. Closing the endpoint kills
 *   its process containers (service.ts), so after a clean stop their tasks end that way.
 * Resources are reserved on the instance at placement and given back when the task reaches STOPPED.
 * Deliberate deviations: containers start in definition order (`dependsOn` is not modelled); stopped tasks are
 * kept (ECS forgets them after about an hour); EXTERNAL tasks are placed on the same simulated instances as EC2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ContainerDefinition, KeyValuePair, Tag } from '@aws-sdk/client-ecs';
import { PlacementParameterError, placeTasks } from '../../lib/placement/placement';
import { taskNeeds } from '../../lib/placement/task-needs';
import type { PlacementConstraintInput, PlacementStrategyInput } from '../../lib/placement/types';
import type { DurableStore } from '../store';
import {
  type ClusterEntry,
  type Clusters,
  type InstanceEntry,
  type Reservation,
  reservationOf,
  type TaskCounts,
} from './clusters';
import { ConflictException, InvalidParameterException } from './exceptions';
import type { Faults } from './faults';
import { decodeCursor, encodeCursor } from './input';
import type { StoredTaskDefinition } from './models';
import {
  adoptContainer,
  CannotStartContainerError,
  type ContainerExit,
  type ContainerHandle,
  type ContainerSpec,
  chooseRuntime,
  exitedContainer,
  killOrphan,
  startContainer,
} from './runtime/runtime';
import { insertSorted, removeSorted, upperBound } from './sorted';

export type LastStatus =
  | 'PROVISIONING'
  | 'PENDING'
  | 'ACTIVATING'
  | 'RUNNING'
  | 'DEACTIVATING'
  | 'STOPPING'
  | 'DEPROVISIONING'
  | 'STOPPED';
export type DesiredStatus = 'RUNNING' | 'STOPPED';
export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

export const STOP_CODES = {
  failedToStart: 'TaskFailedToStart',
  essentialExited: 'EssentialContainerExited',
  user: 'UserInitiated',
  /** What a task on a host that went away gets (see the module comment). */
  hostLost: 'TerminationNotice',
} as const;
export const ESSENTIAL_EXITED_REASON = 'Essential container in task exited';
export const USER_STOP_REASON = 'Task stopped by user';
/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html */
export const FARGATE_LIMIT_REASON = "You've reached the limit on the number of tasks you can run concurrently";
export const hostLostReason = (ec2InstanceId: string) => `Host EC2 (instance ${ec2InstanceId}) stopped/terminated.`;
export const FARGATE_HOST_LOST_REASON =
  'Task stopped because the infrastructure it ran on went away (the local endpoint stopped while it ran).';
/** The agent's default ECS_CONTAINER_STOP_TIMEOUT. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 30;

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: KeyValuePair[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  ephemeralStorage?: { sizeInGiB: number };
}

export interface AwsVpcConfiguration {
  subnets: string[];
  securityGroups?: string[];
  assignPublicIp?: 'ENABLED' | 'DISABLED';
}

export interface RunRequest {
  taskDefinition: StoredTaskDefinition;
  count: number;
  launchType: LaunchType;
  capacityProviderName?: string;
  awsvpc?: AwsVpcConfiguration;
  overrides: TaskOverride;
  startedBy?: string;
  group?: string;
  tags: Tag[];
  placementConstraints: PlacementConstraintInput[];
  placementStrategy: PlacementStrategyInput[];
  platformVersion?: string;
  enableExecuteCommand: boolean;
  clientToken?: string;
  /** The request minus its clientToken, canonical: equal fingerprints are the same request. */
  fingerprint: string;
}

export interface WireContainer {
  containerArn: string;
  taskArn: string;
  name: string;
  image?: string;
  runtimeId?: string;
  lastStatus: string;
  exitCode?: number;
  reason?: string;
  networkBindings: unknown[];
  networkInterfaces: { attachmentId: string; privateIpv4Address: string }[];
  healthStatus: 'UNKNOWN';
  cpu: string;
  memory?: string;
  memoryReservation?: string;
}

export interface Attachment {
  id: string;
  type: 'ElasticNetworkInterface';
  status: string;
  details: { name: string; value: string }[];
}

/** The Task structure as ECS puts it on the wire (timestamps in epoch seconds). */
export interface WireTask {
  attachments: Attachment[];
  attributes: { name: string; value: string }[];
  availabilityZone: string;
  capacityProviderName?: string;
  clusterArn: string;
  connectivity?: 'CONNECTED';
  connectivityAt?: number;
  containerInstanceArn?: string;
  containers: WireContainer[];
  cpu: string;
  createdAt: number;
  desiredStatus: DesiredStatus;
  enableExecuteCommand: boolean;
  ephemeralStorage?: { sizeInGiB: number };
  executionStoppedAt?: number;
  group: string;
  healthStatus: 'UNKNOWN';
  lastStatus: LastStatus;
  launchType: LaunchType;
  memory: string;
  overrides: TaskOverride & { inferenceAcceleratorOverrides: [] };
  platformFamily?: string;
  platformVersion?: string;
  pullStartedAt?: number;
  pullStoppedAt?: number;
  startedAt?: number;
  startedBy?: string;
  stopCode?: string;
  stoppedAt?: number;
  stoppedReason?: string;
  stoppingAt?: number;
  taskArn: string;
  taskDefinitionArn: string;
  version: number;
}

export interface StoredTask {
  task: WireTask;
  tags: Tag[];
  clusterName: string;
  instanceId?: string;
  reservation?: Reservation;
  /** Process containers' pids (process group ids), so a restarted endpoint can kill what is left of them. */
  pids: Record<string, number>;
  /**
   * The log of a task none of whose containers runs as a process: the simulate runtime's notes, kept here
   * instead of in a log file made for them (creating a file costs more than the rest of a RunTask).
   */
  log?: string;
}

interface StoredClientToken {
  fingerprint: string;
  taskArns: string[];
  failures: Failure[];
}

export interface Failure {
  arn?: string;
  reason: string;
  detail?: string;
}

/** What is running for a task in this process; absent for a task loaded from disk. */
interface Run {
  definitions: ContainerDefinition[];
  handles: Map<string, ContainerHandle>;
  exited: Set<string>;
  /** Set once the task is to stop; the driver and exit watchers look at it. */
  stopping: boolean;
  /** The host went away: containers report no exit code. */
  hostLost: boolean;
  finishing: boolean;
  phase: 'starting' | 'running';
}

interface TaskEntry {
  stored: StoredTask;
  run?: Run;
}

export interface TasksOptions {
  region: string;
  accountId: string;
  stateDir: string;
  stepMs: number;
  simulateSeconds: number;
  fargateMaxTasks: number;
  stoppedTaskSeconds: number;
  random: () => number;
  now: () => number;
}

const TASK_KEY = 'task/';
const TOKEN_KEY = 'client-token/';
const TASK_ID = /^[0-9a-f]{32}$/;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function countsOf(task: WireTask): TaskCounts {
  return {
    running: task.lastStatus === 'RUNNING' ? 1 : 0,
    pending: task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING' ? 1 : 0,
    desiredRunning: task.desiredStatus === 'RUNNING' ? 1 : 0,
    active: task.lastStatus === 'STOPPED' ? 0 : 1,
  };
}

type Patch = Partial<WireTask> | ((task: WireTask) => Partial<WireTask>);

export class Tasks {
  private readonly byId = new Map<string, TaskEntry>();
  /** Per cluster, task ids by desiredStatus, sorted (ListTasks pages through them). */
  private readonly listed = new Map<string, Record<DesiredStatus, string[]>>();
  /** Unstopped tasks per container instance id (StopHost). */
  private readonly onInstance = new Map<string, Set<string>>();
  private fargateActive = 0;
  private readonly arnPrefix: string;
  private readonly logsDir: string;
  private readonly scratchDir: string;
  private readonly timers = new Set<NodeJS.Timeout>();
  private purgeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly clusters: Clusters,
    private readonly faults: Faults,
    private readonly options: TasksOptions,
  ) {
    this.arnPrefix = `arn:aws:ecs:${options.region}:${options.accountId}:`;
    this.logsDir = path.join(options.stateDir, 'ecs-logs');
    this.scratchDir = path.join(options.stateDir, 'ecs-scratch');
  }

  /**
   * Builds the indexes from the store. A task that is not STOPPED was left by the previous endpoint process: it
   * is picked up again (recover, see the module comment).
   */
  static async load(
    store: DurableStore<unknown>,
    clusters: Clusters,
    faults: Faults,
    options: TasksOptions,
  ): Promise<Tasks> {
    const model = new Tasks(store, clusters, faults, options);
    const writes: Promise<void>[] = [];
    for (const value of [...store.values(TASK_KEY)]) {
      const stored = value as StoredTask;
      const entry: TaskEntry = { stored };
      model.index(entry, undefined);
      if (stored.task.lastStatus !== 'STOPPED') writes.push(model.recover(entry));
    }
    await Promise.all(writes);
    await model.purgeStopped();
    model.schedulePurge();
    return model;
  }

  /** Sweeps for expired STOPPED tasks every minute, or as often as they expire when that is sooner. */
  private schedulePurge(): void {
    const timer = setInterval(() => {
      this.purgeStopped().catch((err: unknown) => console.error('[berth] ECS could not purge stopped tasks:', err));
    }, Math.min(60, this.options.stoppedTaskSeconds) * 1000);
    timer.unref();
    this.purgeTimer = timer;
  }

  /**
   * Forgets the tasks STOPPED for longer than stoppedTaskSeconds, as ECS does ("stopped tasks appear in the
   * returned results for at least one hour"): out of the indexes (DescribeTasks then answers MISSING), out of
   * the journal, their log file removed. Client tokens stay: a repeated RunTask still answers the same ARNs.
   */
  private async purgeStopped(): Promise<void> {
    if (this.closed) return;
    const cutoff = this.now() - this.options.stoppedTaskSeconds;
    const deletes: Promise<void>[] = [];
    for (const lists of this.listed.values()) {
      const keep: string[] = [];
      for (const id of lists.STOPPED) {
        const entry = this.byId.get(id);
        const task = entry?.stored.task;
        // desiredStatus STOPPED lists tasks still stopping too: only one STOPPED before the cutoff goes.
        const expired = task?.lastStatus === 'STOPPED' && task.stoppedAt !== undefined && task.stoppedAt <= cutoff;
        if (entry === undefined || !expired) {
          keep.push(id);
          continue;
        }
        this.byId.delete(id);
        deletes.push(this.store.delete(this.key(entry.stored)));
        if (entry.stored.log === undefined) {
          deletes.push(fs.rm(this.logFile(id), { force: true }));
        }
      }
      if (keep.length !== lists.STOPPED.length) lists.STOPPED = keep;
    }
    await Promise.all(deletes);
  }

  /** A task the previous endpoint process left unstopped, picked up again (see the module comment). */
  private async recover(entry: TaskEntry): Promise<void> {
    const { task, pids } = entry.stored;
    const definitions = this.containerDefinitionsOf(task);
    if (definitions === undefined) return this.stopAsLostHost(entry);
    const run: Run = {
      definitions,
      handles: new Map(),
      exited: new Set(),
      stopping: task.desiredStatus === 'STOPPED',
      hostLost: false,
      finishing: false,
      phase: 'starting',
    };
    const taskId = this.idOf(task.taskArn);
    const logFile = this.logFile(taskId);
    const specs = this.containerSpecs(entry, definitions, logFile, taskId);
    const starting = task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING';
    const startedAt = task.startedAt === undefined ? undefined : task.startedAt * 1000;
    let unknown = false;
    for (const spec of specs) {
      const name = spec.containerName;
      const recorded = task.containers.find((c) => c.name === name);
      if (!starting && recorded?.lastStatus === 'STOPPED') {
        run.handles.set(name, exitedContainer(spec, { exitCode: recorded.exitCode ?? null }));
        run.exited.add(name);
        continue;
      }
      const adopted = await adoptContainer(
        spec,
        { simulateSeconds: this.options.simulateSeconds },
        {
          ...(pids[name] !== undefined ? { pid: pids[name] } : {}),
          ...(starting || startedAt === undefined ? {} : { startedAt }),
        },
      );
      if (adopted.state === 'running') run.handles.set(name, adopted.handle);
      else if (adopted.state === 'exited') run.handles.set(name, exitedContainer(spec, adopted.exit));
      else if (adopted.state === 'unknown' || !starting) unknown = true;
    }
    if (unknown) {
      for (const handle of run.handles.values()) if (handle.pid !== undefined) killOrphan(handle.pid, task.taskArn);
      return this.stopAsLostHost(entry);
    }
    entry.run = run;
    if (starting) {
      // It goes on starting; the containers that had started are in run.handles and are not started again.
      void this.drive(entry);
      return;
    }
    run.phase = 'running';
    for (const [name, handle] of run.handles) {
      if (!run.exited.has(name)) void handle.exited.then((exit) => this.containerExited(entry, name, exit));
    }
    if (run.stopping) this.stopContainers(entry);
    if (run.exited.size === run.handles.size) void this.finish(entry);
  }

  /** The container definitions of the task's definition, from the store; undefined when it was deleted. */
  private containerDefinitionsOf(task: WireTask): ContainerDefinition[] | undefined {
    const key = `task-definition/${task.taskDefinitionArn.slice(task.taskDefinitionArn.indexOf('task-definition/') + 16)}`;
    const stored = this.store.get(key) as StoredTaskDefinition | undefined;
    return stored?.taskDefinition.containerDefinitions as ContainerDefinition[] | undefined;
  }

  /** Stopped as on a lost host: a restart under a task whose containers' outcome cannot be known. */
  private async stopAsLostHost(entry: TaskEntry): Promise<void> {
    for (const pid of Object.values(entry.stored.pids)) killOrphan(pid, entry.stored.task.taskArn);
    const instance = this.instanceOf(entry);
    const now = this.now();
    const keepsReason = entry.stored.task.desiredStatus === 'STOPPED' && entry.stored.task.stopCode !== undefined;
    const reason = instance !== undefined ? hostLostReason(instance.stored.ec2InstanceId) : FARGATE_HOST_LOST_REASON;
    const written = this.update(entry, (t) => ({
      desiredStatus: 'STOPPED',
      ...(keepsReason ? {} : { stopCode: STOP_CODES.hostLost, stoppedReason: reason }),
      stoppingAt: t.stoppingAt ?? now,
      executionStoppedAt: t.executionStoppedAt ?? now,
      stoppedAt: now,
      lastStatus: 'STOPPED',
      containers: t.containers.map((c) => (c.lastStatus === 'STOPPED' ? c : { ...c, lastStatus: 'STOPPED' })),
      attachments: t.attachments.map((a) => ({ ...a, status: 'DELETED' })),
    }));
    await written;
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Stops the lifecycle timers and kills the process containers this endpoint runs (see service.ts). */
  close(): void {
    this.closed = true;
    clearInterval(this.purgeTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const entry of this.byId.values()) {
      for (const handle of entry.run?.handles.values() ?? []) {
        if (handle.pid !== undefined) killOrphan(handle.pid);
      }
    }
  }

  private now(): number {
    return this.options.now() / 1000;
  }

  // ---- indexes

  private index(entry: TaskEntry, previous: WireTask | undefined): void {
    const { task, clusterName, instanceId } = entry.stored;
    const cluster = this.clusters.find(clusterName);
    const instance = cluster && instanceId !== undefined ? cluster.instances.get(instanceId) : undefined;
    if (previous === undefined) {
      this.byId.set(this.idOf(task.taskArn), entry);
      if (
        cluster !== undefined &&
        instance !== undefined &&
        entry.stored.reservation &&
        task.lastStatus !== 'STOPPED'
      ) {
        this.clusters.reserve(cluster, instance, entry.stored.reservation, task.group);
      }
    }
    if (cluster !== undefined) {
      if (previous !== undefined) this.clusters.count(cluster, instance, countsOf(previous), -1);
      this.clusters.count(cluster, instance, countsOf(task), 1);
    }
    if (previous?.desiredStatus !== task.desiredStatus) {
      let lists = this.listed.get(clusterName);
      if (lists === undefined) {
        lists = { RUNNING: [], STOPPED: [] };
        this.listed.set(clusterName, lists);
      }
      const id = this.idOf(task.taskArn);
      if (previous !== undefined) removeSorted(lists[previous.desiredStatus], id);
      insertSorted(lists[task.desiredStatus], id);
    }
    const wasActive = previous !== undefined && previous.lastStatus !== 'STOPPED';
    const isActive = task.lastStatus !== 'STOPPED';
    if (wasActive !== isActive) {
      const sign = isActive ? 1 : -1;
      if (task.launchType === 'FARGATE') this.fargateActive += sign;
      if (instanceId !== undefined) {
        let set = this.onInstance.get(instanceId);
        if (set === undefined) {
          set = new Set();
          this.onInstance.set(instanceId, set);
        }
        if (isActive) set.add(this.idOf(task.taskArn));
        else set.delete(this.idOf(task.taskArn));
      }
      if (!isActive && previous !== undefined && cluster && instance && entry.stored.reservation) {
        this.clusters.release(cluster, instance, entry.stored.reservation, task.group);
      }
    }
  }

  private idOf(taskArn: string): string {
    return taskArn.slice(taskArn.lastIndexOf('/') + 1);
  }

  private instanceOf(entry: TaskEntry): InstanceEntry | undefined {
    const { clusterName, instanceId } = entry.stored;
    if (instanceId === undefined) return undefined;
    return this.clusters.find(clusterName)?.instances.get(instanceId);
  }

  /** Applies a change now (version + 1); resolves once it is on disk. After close() it changes nothing. */
  private update(entry: TaskEntry, patch: Patch, extra: Partial<StoredTask> = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.apply(entry, patch, extra);
    return this.store.put(this.key(entry.stored), entry.stored).catch((err: unknown) => {
      console.error(`[berth] ECS could not store task ${entry.stored.task.taskArn}:`, err);
      throw err;
    });
  }

  /**
   * A lifecycle step nobody has seen yet (the driver's own transitions): applied now, written with the next
   * batch or at the next durable(), which every answer that shows tasks or counts awaits (DurableStore
   * putDeferred). Successive steps of a task between two batches cost one journal line. A crash can lose only
   * steps no answer revealed; the restarted endpoint stops such a task as on a lost host either way.
   */
  private advance(entry: TaskEntry, patch: Patch): void {
    if (this.closed) return;
    this.apply(entry, patch, {});
    try {
      this.store.putDeferred(this.key(entry.stored), entry.stored);
    } catch (err) {
      console.error(`[berth] ECS could not store task ${entry.stored.task.taskArn}:`, err);
    }
  }

  /**
   * Appends a runtime note to the log kept in the task's record (StoredTask.log), written as a lifecycle step
   * is (deferred); GetTaskLog awaits durable() before showing it. Not a change of the task: no version + 1.
   */
  private note(entry: TaskEntry, line: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    entry.stored = { ...entry.stored, log: `${entry.stored.log ?? ''}${line}\n` };
    this.store.putDeferred(this.key(entry.stored), entry.stored);
    return Promise.resolve();
  }

  private apply(entry: TaskEntry, patch: Patch, extra: Partial<StoredTask>): void {
    const previous = entry.stored.task;
    const changes = typeof patch === 'function' ? patch(previous) : patch;
    const task: WireTask = { ...previous, ...changes, version: previous.version + 1 };
    entry.stored = { ...entry.stored, ...extra, task };
    this.index(entry, previous);
  }

  private key(stored: StoredTask): string {
    return `${TASK_KEY}${stored.clusterName}/${this.idOf(stored.task.taskArn)}`;
  }

  // ---- RunTask

  async run(cluster: ClusterEntry, request: RunRequest): Promise<{ tasks: WireTask[]; failures: Failure[] }> {
    if (request.clientToken !== undefined) {
      const seen = this.store.get(`${TOKEN_KEY}${request.clientToken}`) as StoredClientToken | undefined;
      if (seen !== undefined) {
        if (seen.fingerprint !== request.fingerprint) {
          throw new ConflictException(
            'The RunTask request could not be processed due to conflicts. The provided clientToken is already in use with a different RunTask request.',
          );
        }
        await this.durable();
        const tasks = seen.taskArns.flatMap((arn) => {
          const entry = this.byId.get(this.idOf(arn));
          return entry ? [entry.stored.task] : [];
        });
        return { tasks, failures: seen.failures };
      }
    }

    const td = request.taskDefinition.taskDefinition;
    let needs: ReturnType<typeof taskNeeds>;
    try {
      needs = taskNeeds(td as Parameters<typeof taskNeeds>[0], request.overrides);
    } catch (err) {
      if (err instanceof PlacementParameterError) throw new InvalidParameterException(err.message);
      throw err;
    }
    const group = request.group ?? `family:${td.family}`;
    needs.group = group;

    const created: TaskEntry[] = [];
    const failures: Failure[] = [];
    const injected = this.faults.placementFailure();
    if (request.launchType === 'FARGATE') {
      if (injected !== undefined) {
        failures.push({ arn: cluster.stored.clusterArn, reason: injected });
      } else {
        const room = Math.max(0, this.options.fargateMaxTasks - this.fargateActive);
        const placed = Math.min(room, request.count);
        for (let i = 0; i < placed; i++) {
          const zones = cluster.stored.availabilityZones;
          const zone = zones[Math.floor(this.options.random() * zones.length) % zones.length]!;
          created.push(this.create(cluster, request, needs.cpu, needs.memory, group, zone, undefined));
        }
        if (placed < request.count) failures.push({ arn: cluster.stored.clusterArn, reason: FARGATE_LIMIT_REASON });
      }
    } else {
      const { instances, entries } = this.clusters.placementInstances(cluster);
      if (instances.length === 0) {
        throw new InvalidParameterException('No Container Instances were found in your cluster.');
      }
      if (injected !== undefined) {
        for (const instance of instances) failures.push({ arn: instance.arn, reason: injected });
      } else {
        let result: ReturnType<typeof placeTasks>;
        try {
          result = placeTasks({
            instances,
            needs,
            count: request.count,
            placementConstraints: [
              ...request.placementConstraints,
              ...((td.placementConstraints ?? []) as PlacementConstraintInput[]),
            ],
            placementStrategy: request.placementStrategy,
            random: this.options.random,
          });
        } catch (err) {
          if (err instanceof PlacementParameterError) throw new InvalidParameterException(err.message);
          throw err;
        }
        for (const placement of result.placements) {
          const instance = entries[placement.instanceIndex]!;
          const reservation = reservationOf(needs);
          created.push(
            this.create(cluster, request, needs.cpu, needs.memory, group, instance.stored.availabilityZone, {
              instance,
              reservation,
            }),
          );
        }
        for (const failure of result.failures) failures.push({ arn: failure.arn, reason: failure.reason });
      }
    }

    const writes = created.map((entry) => this.store.put(this.key(entry.stored), entry.stored));
    if (request.clientToken !== undefined) {
      const token: StoredClientToken = {
        fingerprint: request.fingerprint,
        taskArns: created.map((e) => e.stored.task.taskArn),
        failures,
      };
      writes.push(this.store.put(`${TOKEN_KEY}${request.clientToken}`, token));
    }
    await Promise.all(writes);
    const tasks = created.map((entry) => entry.stored.task);
    for (const entry of created) void this.drive(entry);
    return { tasks, failures };
  }

  private create(
    cluster: ClusterEntry,
    request: RunRequest,
    cpu: number,
    memory: number,
    group: string,
    availabilityZone: string,
    placed: { instance: InstanceEntry; reservation: Reservation } | undefined,
  ): TaskEntry {
    const td = request.taskDefinition.taskDefinition;
    const id = hex(16);
    const clusterName = cluster.stored.clusterName;
    const taskArn = `${this.arnPrefix}task/${clusterName}/${id}`;
    const now = this.now();
    const fargate = request.launchType === 'FARGATE';
    const attachments: Attachment[] = [];
    let networkInterface: WireContainer['networkInterfaces'][number] | undefined;
    if (request.awsvpc !== undefined) {
      const attachmentId = randomUUID();
      const ip = `10.0.${Math.floor(this.options.random() * 250) + 1}.${Math.floor(this.options.random() * 250) + 2}`;
      networkInterface = { attachmentId, privateIpv4Address: ip };
      attachments.push({
        id: attachmentId,
        type: 'ElasticNetworkInterface',
        status: 'PRECREATED',
        details: [
          { name: 'subnetId', value: request.awsvpc.subnets[0]! },
          { name: 'networkInterfaceId', value: `eni-${hex(9).slice(0, 17)}` },
          {
            name: 'macAddress',
            value: Array.from(randomBytes(6), (b) => b.toString(16).padStart(2, '0')).join(':'),
          },
          { name: 'privateDnsName', value: `ip-${ip.replaceAll('.', '-')}.ec2.internal` },
          { name: 'privateIPv4Address', value: ip },
        ],
      });
    }
    const overridesByName = new Map((request.overrides.containerOverrides ?? []).map((o) => [o.name, o]));
    const containers: WireContainer[] = (td.containerDefinitions ?? []).map((c) => {
      const o = overridesByName.get(c.name!);
      const containerMemory = o?.memory ?? c.memory;
      const containerReservation = o?.memoryReservation ?? c.memoryReservation;
      return {
        containerArn: `${this.arnPrefix}container/${clusterName}/${id}/${randomUUID()}`,
        taskArn,
        name: c.name!,
        ...(c.image !== undefined ? { image: c.image } : {}),
        lastStatus: 'PENDING',
        networkBindings: [],
        networkInterfaces: networkInterface ? [networkInterface] : [],
        healthStatus: 'UNKNOWN',
        cpu: String(o?.cpu ?? c.cpu ?? 0),
        ...(containerMemory !== undefined ? { memory: String(containerMemory) } : {}),
        ...(containerReservation !== undefined ? { memoryReservation: String(containerReservation) } : {}),
      };
    });
    const task: WireTask = {
      attachments,
      attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
      availabilityZone,
      ...(request.capacityProviderName ? { capacityProviderName: request.capacityProviderName } : {}),
      clusterArn: cluster.stored.clusterArn,
      ...(placed ? { containerInstanceArn: placed.instance.stored.containerInstanceArn } : {}),
      containers,
      cpu: String(cpu),
      createdAt: now,
      desiredStatus: 'RUNNING',
      enableExecuteCommand: request.enableExecuteCommand,
      ...(fargate ? { ephemeralStorage: request.overrides.ephemeralStorage ?? { sizeInGiB: 20 } } : {}),
      group,
      healthStatus: 'UNKNOWN',
      lastStatus: request.awsvpc !== undefined ? 'PROVISIONING' : 'PENDING',
      launchType: request.launchType,
      memory: String(memory),
      overrides: {
        ...request.overrides,
        containerOverrides: containers.map((c) => overridesByName.get(c.name) ?? { name: c.name }),
        inferenceAcceleratorOverrides: [],
      },
      ...(fargate ? { platformFamily: 'Linux', platformVersion: request.platformVersion ?? '1.4.0' } : {}),
      ...(request.startedBy !== undefined ? { startedBy: request.startedBy } : {}),
      taskArn,
      taskDefinitionArn: td.taskDefinitionArn,
      version: 1,
    };
    const stored: StoredTask = {
      task,
      tags: request.tags,
      clusterName,
      ...(placed ? { instanceId: placed.instance.stored.id, reservation: placed.reservation } : {}),
      pids: {},
    };
    const entry: TaskEntry = {
      stored,
      run: {
        definitions: (td.containerDefinitions ?? []) as ContainerDefinition[],
        handles: new Map(),
        exited: new Set(),
        stopping: false,
        hostLost: false,
        finishing: false,
        phase: 'starting',
      },
    };
    this.index(entry, undefined);
    return entry;
  }

  // ---- lifecycle

  private step(): Promise<boolean> {
    if (this.closed) return new Promise(() => {});
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.closed);
      }, this.options.stepMs);
      this.timers.add(timer);
    });
  }

  private async drive(entry: TaskEntry): Promise<void> {
    try {
      await this.start(entry);
    } catch (err) {
      if (this.closed) return;
      console.error(`[berth] ECS task ${entry.stored.task.taskArn} failed in the emulator:`, err);
      const run = entry.run!;
      if (!run.stopping) this.beginStop(entry, STOP_CODES.failedToStart, `Berth: ${(err as Error).message}`);
      for (const handle of run.handles.values()) if (handle.pid !== undefined) killOrphan(handle.pid);
      void this.finish(entry);
    }
  }

  private async start(entry: TaskEntry): Promise<void> {
    const run = entry.run!;
    // Steps a task picked up after a restart had already taken are not taken again (recover).
    const stopIfAsked = () => {
      if (!run.stopping) return false;
      if (run.handles.size > 0) {
        run.phase = 'running';
        this.watchExits(entry);
        this.stopContainers(entry);
      } else {
        void this.finish(entry);
      }
      return true;
    };
    if (entry.stored.task.lastStatus === 'PROVISIONING') {
      if (!(await this.step())) return;
      if (stopIfAsked()) return;
      this.advance(entry, (t) => ({
        lastStatus: 'PENDING',
        attachments: t.attachments.map((a) => ({ ...a, status: 'ATTACHED' })),
      }));
    }
    if (entry.stored.task.pullStartedAt === undefined) {
      if (!(await this.step())) return;
      if (stopIfAsked()) return;
      this.advance(entry, { pullStartedAt: this.now() });
    }
    if (entry.stored.task.pullStoppedAt === undefined) {
      if (!(await this.step())) return;
      if (stopIfAsked()) return;
      this.advance(entry, { pullStoppedAt: this.now() });
    }

    const taskId = this.idOf(entry.stored.task.taskArn);
    const logFile = this.logFile(taskId);
    let failed: { name: string; reason: string } | undefined;
    const runtimeIds: Record<string, string> = {};
    const pids: Record<string, number> = { ...entry.stored.pids };
    const specs = this.containerSpecs(entry, run.definitions, logFile, taskId);
    for (const [name, handle] of run.handles) {
      runtimeIds[name] = entry.stored.task.containers.find((c) => c.name === name)?.runtimeId ?? hex(32);
      if (handle.pid !== undefined) pids[name] = handle.pid;
    }
    for (const spec of specs) {
      if (run.handles.has(spec.containerName)) continue; // adopted after a restart
      if (run.stopping || this.closed) break;
      try {
        const handle = await startContainer(spec, { simulateSeconds: this.options.simulateSeconds });
        run.handles.set(spec.containerName, handle);
        runtimeIds[spec.containerName] = hex(32);
        if (handle.pid !== undefined) pids[spec.containerName] = handle.pid;
      } catch (err) {
        if (!(err instanceof CannotStartContainerError)) throw err;
        failed = { name: spec.containerName, reason: err.reason };
        break;
      }
    }
    if (this.closed) {
      for (const handle of run.handles.values()) if (handle.pid !== undefined) killOrphan(handle.pid);
      return;
    }
    run.phase = 'running';
    const now = this.now();
    if (failed !== undefined) {
      const { name, reason } = failed;
      void this.update(
        entry,
        (t) => ({
          containers: t.containers.map((c) =>
            c.name === name
              ? { ...c, lastStatus: 'STOPPED', reason }
              : runtimeIds[c.name]
                ? { ...c, lastStatus: 'RUNNING', runtimeId: runtimeIds[c.name]! }
                : c,
          ),
        }),
        { pids },
      );
      if (!run.stopping) this.beginStop(entry, STOP_CODES.failedToStart, reason);
    } else if (!run.stopping) {
      const running = (t: WireTask): Partial<WireTask> => ({
        lastStatus: 'RUNNING',
        startedAt: now,
        connectivity: 'CONNECTED',
        connectivityAt: now,
        containers: t.containers.map((c) =>
          runtimeIds[c.name] ? { ...c, lastStatus: 'RUNNING', runtimeId: runtimeIds[c.name]! } : c,
        ),
      });
      // Process containers' pids are written at once: a restarted endpoint must find them to kill orphans.
      if (Object.keys(pids).length > 0) void this.update(entry, running, { pids });
      else this.advance(entry, running);
    } else {
      void this.update(entry, {}, { pids });
    }
    this.watchExits(entry);
    if (run.stopping) this.stopContainers(entry);
    if (run.handles.size === 0) void this.finish(entry);
  }

  private watchExits(entry: TaskEntry): void {
    for (const [name, handle] of entry.run!.handles) {
      void handle.exited.then((exit) => this.containerExited(entry, name, exit));
    }
  }

  /** The specs of the task's containers; notes go to the task's record when none of them runs as a process. */
  private containerSpecs(
    entry: TaskEntry,
    definitions: ContainerDefinition[],
    logFile: string,
    taskId: string,
  ): ContainerSpec[] {
    const specs = definitions.map((definition) => this.containerSpec(entry, definition, logFile, taskId));
    if (!specs.some((spec) => chooseRuntime(spec) === 'process')) {
      for (const spec of specs) spec.note = (line) => this.note(entry, line);
    }
    return specs;
  }

  private containerSpec(entry: TaskEntry, definition: ContainerDefinition, logFile: string, taskId: string) {
    const name = definition.name!;
    const override = entry.stored.task.overrides.containerOverrides?.find((o) => o.name === name);
    const environment: Record<string, string> = {};
    for (const pair of [...(definition.environment ?? []), ...(override?.environment ?? [])]) {
      if (pair.name !== undefined) environment[pair.name] = pair.value ?? '';
    }
    const spec: ContainerSpec = {
      taskArn: entry.stored.task.taskArn,
      containerName: name,
      image: definition.image ?? '',
      environment,
      logFile,
      scratchDir: path.join(this.scratchDir, taskId, name),
      // Container names cannot start with a dot: this never is a container's scratch dir.
      statusDir: path.join(this.scratchDir, taskId, '.berth', name),
    };
    if (definition.entryPoint !== undefined) spec.entryPoint = definition.entryPoint;
    const command = override?.command ?? definition.command;
    if (command !== undefined) spec.command = command;
    if (definition.workingDirectory !== undefined) spec.workingDirectory = definition.workingDirectory;
    if (definition.dockerLabels !== undefined) spec.dockerLabels = definition.dockerLabels;
    return spec;
  }

  private containerExited(entry: TaskEntry, name: string, exit: ContainerExit): void {
    const run = entry.run!;
    if (this.closed || run.exited.has(name)) return;
    run.exited.add(name);
    this.advance(entry, (t) => ({
      containers: t.containers.map((c) => {
        if (c.name !== name) return c;
        const { exitCode: _, reason: __, ...rest } = c;
        if (run.hostLost) return { ...rest, lastStatus: 'STOPPED' };
        return {
          ...rest,
          lastStatus: 'STOPPED',
          ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
          ...(exit.reason !== undefined ? { reason: exit.reason } : c.reason ? { reason: c.reason } : {}),
        };
      }),
    }));
    const essential = run.definitions.find((d) => d.name === name)?.essential !== false;
    if (essential && !run.stopping) this.beginStop(entry, STOP_CODES.essentialExited, ESSENTIAL_EXITED_REASON);
    if (run.exited.size === run.handles.size && run.phase === 'running') void this.finish(entry);
  }

  /** Marks the task as stopping (desiredStatus STOPPED); the containers are stopped once they have started. */
  private beginStop(entry: TaskEntry, stopCode: string, stoppedReason: string): Promise<void> {
    const run = entry.run;
    const now = this.now();
    const running = entry.stored.task.lastStatus === 'RUNNING';
    const written = this.update(entry, {
      desiredStatus: 'STOPPED',
      stopCode,
      stoppedReason,
      stoppingAt: now,
      ...(running ? { lastStatus: 'STOPPING' as const } : {}),
    });
    if (run !== undefined) {
      run.stopping = true;
      if (run.phase === 'running') this.stopContainers(entry);
    }
    return written;
  }

  private stopContainers(entry: TaskEntry): void {
    const run = entry.run!;
    for (const [name, handle] of run.handles) {
      if (run.exited.has(name)) continue;
      const definition = run.definitions.find((d) => d.name === name);
      const timeout = run.hostLost ? 0 : (definition?.stopTimeout ?? DEFAULT_STOP_TIMEOUT_SECONDS);
      handle.stop(timeout).catch((err: unknown) => console.error(`[berth] stopping container ${name} failed:`, err));
      if (run.hostLost && handle.pid !== undefined) killOrphan(handle.pid);
    }
  }

  /** Every container has exited (or never started): through DEPROVISIONING (awsvpc) to STOPPED. */
  private async finish(entry: TaskEntry): Promise<void> {
    const run = entry.run;
    if (run !== undefined) {
      if (run.finishing) return;
      run.finishing = true;
    }
    const now = this.now();
    const awsvpc = entry.stored.task.attachments.length > 0;
    this.advance(entry, (t) => ({
      desiredStatus: 'STOPPED',
      ...(t.stopCode === undefined
        ? { stopCode: STOP_CODES.essentialExited, stoppedReason: ESSENTIAL_EXITED_REASON, stoppingAt: now }
        : {}),
      executionStoppedAt: now,
      lastStatus: awsvpc ? 'DEPROVISIONING' : 'STOPPING',
      containers: t.containers.map((c) => (c.lastStatus === 'STOPPED' ? c : { ...c, lastStatus: 'STOPPED' })),
      attachments: t.attachments.map((a) => ({ ...a, status: 'DETACHING' })),
    }));
    if (!(await this.step())) return;
    const written = this.update(entry, (t) => ({
      lastStatus: 'STOPPED',
      stoppedAt: this.now(),
      attachments: t.attachments.map((a) => ({ ...a, status: 'DELETED' })),
    }));
    const taskId = this.idOf(entry.stored.task.taskArn);
    await written.catch(() => {});
    await fs.rm(path.join(this.scratchDir, taskId), { recursive: true, force: true }).catch(() => {});
  }

  // ---- StopTask, DescribeTasks, ListTasks

  /** StopTask: a stopped (or stopping) task comes back as it is. */
  async stop(cluster: ClusterEntry, identifier: string, reason: string | undefined): Promise<WireTask> {
    const entry = this.find(cluster, identifier);
    if (entry === undefined) throw new InvalidParameterException('The referenced task was not found.');
    if (entry.stored.task.desiredStatus === 'STOPPED' || entry.stored.task.lastStatus === 'STOPPED') {
      await this.durable();
      return entry.stored.task;
    }
    await this.beginStop(entry, STOP_CODES.user, reason ?? USER_STOP_REASON);
    return entry.stored.task;
  }

  /** Stops the unstopped tasks of an instance whose host went away. */
  async hostLost(instance: InstanceEntry): Promise<WireTask[]> {
    const ids = [...(this.onInstance.get(instance.stored.id) ?? [])];
    const writes: Promise<void>[] = [];
    const stopped: TaskEntry[] = [];
    for (const id of ids) {
      const entry = this.byId.get(id)!;
      stopped.push(entry);
      const run = entry.run;
      if (run !== undefined) run.hostLost = true;
      if (entry.stored.task.desiredStatus === 'RUNNING') {
        writes.push(this.beginStop(entry, STOP_CODES.hostLost, hostLostReason(instance.stored.ec2InstanceId)));
      } else if (run?.phase === 'running') {
        this.stopContainers(entry);
      }
    }
    await Promise.all(writes);
    return stopped.map((e) => e.stored.task);
  }

  private find(cluster: ClusterEntry, identifier: string): TaskEntry | undefined {
    let id = identifier;
    if (identifier.startsWith('arn:')) {
      const prefix = `${this.arnPrefix}task/`;
      if (!identifier.startsWith(prefix)) return undefined;
      const rest = identifier.slice(prefix.length);
      const slash = rest.lastIndexOf('/');
      if (slash >= 0 && rest.slice(0, slash) !== cluster.stored.clusterName) return undefined;
      id = rest.slice(slash + 1);
    }
    if (!TASK_ID.test(id)) return undefined;
    const entry = this.byId.get(id);
    return entry?.stored.clusterName === cluster.stored.clusterName ? entry : undefined;
  }

  /**
   * The task and where its log is, for BerthLocal.GetTaskLog: the text kept in its record when none of its
   * containers ran as a process (await durable() before showing it), else its log file.
   */
  taskFor(
    cluster: ClusterEntry,
    identifier: string,
  ): { task: WireTask; logFile: string; log: string | undefined } | undefined {
    const entry = this.find(cluster, identifier);
    if (entry === undefined) return undefined;
    const { task, log } = entry.stored;
    return { task, logFile: this.logFile(this.idOf(task.taskArn)), log };
  }

  private logFile(taskId: string): string {
    return path.join(this.logsDir, `${taskId}.log`);
  }

  describe(cluster: ClusterEntry, identifiers: readonly string[], includeTags: boolean) {
    const tasks: (WireTask & { tags?: Tag[] })[] = [];
    const failures: Failure[] = [];
    for (const identifier of identifiers) {
      const entry = this.find(cluster, identifier);
      if (entry === undefined) {
        failures.push({
          arn: identifier.startsWith('arn:')
            ? identifier
            : `${this.arnPrefix}task/${cluster.stored.clusterName}/${identifier}`,
          reason: 'MISSING',
        });
      } else {
        tasks.push(includeTags ? { ...entry.stored.task, tags: entry.stored.tags } : entry.stored.task);
      }
    }
    return { tasks, failures };
  }

  list(
    cluster: ClusterEntry,
    query: {
      desiredStatus: DesiredStatus;
      family?: string;
      startedBy?: string;
      instanceId?: string;
      launchType?: string;
      maxResults: number;
      nextToken?: string;
    },
  ): { taskArns: string[]; nextToken?: string } {
    const ids = this.listed.get(cluster.stored.clusterName)?.[query.desiredStatus] ?? [];
    let i = query.nextToken === undefined ? 0 : upperBound(ids, decodeCursor(query.nextToken));
    const familyPrefix = query.family === undefined ? undefined : `:task-definition/${query.family}:`;
    const taskArns: string[] = [];
    let last: string | undefined;
    for (; i < ids.length; i++) {
      const { stored } = this.byId.get(ids[i]!)!;
      const t = stored.task;
      if (familyPrefix !== undefined && !t.taskDefinitionArn.includes(familyPrefix)) continue;
      if (query.startedBy !== undefined && t.startedBy !== query.startedBy) continue;
      if (query.instanceId !== undefined && stored.instanceId !== query.instanceId) continue;
      if (query.launchType !== undefined && t.launchType !== query.launchType) continue;
      if (taskArns.length === query.maxResults) return { taskArns, nextToken: encodeCursor(last!) };
      taskArns.push(t.taskArn);
      last = ids[i]!;
    }
    return { taskArns };
  }
}
