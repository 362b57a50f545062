/**
 * ECS tasks on the control plane's side: RunTask admission (placement, FARGATE's limit, clientToken
 * idempotency), task construction, StopTask, and the state behind DescribeTasks and ListTasks, served from
 * in-memory indexes and made durable in the ECS DurableStore (`task/<cluster>/<id>`, `client-token/<token>`).
 * Follows https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html, API_StopTask.html,
 * API_DescribeTasks.html and API_ListTasks.html; the task's shapes are in task-types.ts and its lifecycle, a
 * table of transitions the container agent takes, in task-agent.ts.
 * Resources are reserved on the instance at placement and given back when the task reaches STOPPED. Each change
 * of a task (its creation, then each transition) puts an ECS Task State Change event on the local bus (task-events.ts).
 * Deliberate deviations: stopped tasks are kept (ECS forgets them after about an hour); EXTERNAL tasks are placed
 * on the same simulated instances as EC2.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ContainerDefinition, Tag } from '@aws-sdk/client-ecs';
import { PlacementParameterError, placeTasks } from '../../lib/placement/placement';
import { taskNeeds } from '../../lib/placement/task-needs';
import type { PlacementConstraintInput, PlacementInstance } from '../../lib/placement/types';
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
import { sweepDockerOrphans } from './runtime/runtime';
import { insertSorted, removeSorted, upperBound } from './sorted';
import { type AgentHost, newRun, TaskAgent, type TaskEntry } from './task-agent';
import { taskStateChangeEvent } from './task-events';
import {
  type Attachment,
  type DesiredStatus,
  FARGATE_LIMIT_REASON,
  type Failure,
  hostLostReason,
  type RunRequest,
  STOP_CODES,
  type StoredClientToken,
  type StoredTask,
  TASK_KEY,
  type TasksOptions,
  TOKEN_KEY,
  taskIdOf,
  taskKey,
  USER_STOP_REASON,
  type WireContainer,
  type WireTask,
} from './task-types';

const TASK_ID = /^[0-9a-f]{32}$/;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function countsOf(task: WireTask): TaskCounts {
  return {
    launchType: task.launchType,
    running: task.lastStatus === 'RUNNING' ? 1 : 0,
    pending: task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING' ? 1 : 0,
    desiredRunning: task.desiredStatus === 'RUNNING' ? 1 : 0,
    active: task.lastStatus === 'STOPPED' ? 0 : 1,
  };
}

/** The placement instances (and their entries, at the same index) that `keep` holds for. */
function onlyWhere(
  all: { instances: PlacementInstance[]; entries: InstanceEntry[] },
  keep: (entry: InstanceEntry) => boolean,
): { instances: PlacementInstance[]; entries: InstanceEntry[] } {
  const instances: PlacementInstance[] = [];
  const entries: InstanceEntry[] = [];
  all.entries.forEach((entry, i) => {
    if (!keep(entry)) return;
    entries.push(entry);
    instances.push(all.instances[i]!);
  });
  return { instances, entries };
}

export class Tasks {
  private readonly byId = new Map<string, TaskEntry>();
  /** Per cluster, task ids by desiredStatus, sorted (ListTasks pages through them). */
  private readonly listed = new Map<string, Record<DesiredStatus, string[]>>();
  /** Unstopped tasks per container instance id (StopHost). */
  private readonly onInstance = new Map<string, Set<string>>();
  private fargateActive = 0;
  private readonly arnPrefix: string;
  private readonly logsDir: string;
  private readonly agent: TaskAgent;
  private purgeTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly clusters: Clusters,
    private readonly faults: Faults,
    private readonly options: TasksOptions,
  ) {
    this.arnPrefix = `arn:aws:ecs:${options.region}:${options.accountId}:`;
    this.logsDir = path.join(options.stateDir, 'ecs-logs');
    const host: AgentHost = {
      store,
      options,
      scratchDir: path.join(options.stateDir, 'ecs-scratch'),
      logFile: (taskId) => this.logFile(taskId),
      ...(options.logs === undefined
        ? {}
        : {
            awslogs: {
              logs: options.logs,
              containerLogFile: (taskId: string, container: string) =>
                path.join(this.logsDir, taskId, `${container}.log`),
              ...(options.logPollMs === undefined ? {} : { pollMs: options.logPollMs }),
            },
          }),
      changed: (entry, previous) => {
        this.index(entry, previous);
        this.emit(entry.stored.task);
      },
      release: (entry) => this.release(entry),
      instanceOf: (entry) => this.instanceOf(entry),
      reservePorts: (entry, ports, portsUdp) => this.reservePorts(entry, ports, portsUdp),
    };
    this.agent = new TaskAgent(host);
  }

  /**
   * Builds the indexes from the store. A task that is not STOPPED was left by the previous endpoint process: it
   * is picked up again (recover, see task-agent.ts).
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
      if (stored.task.lastStatus !== 'STOPPED') writes.push(model.agent.recover(entry));
    }
    await Promise.all(writes);
    // Docker containers a previous endpoint on this state dir left, and no task picked up again runs.
    const adopted = new Set<string>();
    for (const entry of model.byId.values()) {
      for (const name of entry.run?.handles.keys() ?? []) adopted.add(`${entry.stored.task.taskArn}/${name}`);
    }
    await sweepDockerOrphans(options.stateDir, adopted).catch((err: unknown) =>
      console.error('[berth] ECS could not remove the Docker containers a previous endpoint left:', err),
    );
    // Read again only by a RunTask that repeats one (ECS_STORE_OPTIONS).
    for (const [key] of store.entries(TOKEN_KEY)) store.evict(key);
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
   * the journal, their log file removed. Client tokens stay (on disk, out of memory): a repeated RunTask still answers
   * the same ARNs.
   */
  private async purgeStopped(): Promise<void> {
    if (this.agent.closed) return;
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
        deletes.push(this.store.delete(taskKey(entry.stored)));
        if (entry.stored.log === undefined) {
          deletes.push(fs.rm(this.logFile(id), { force: true }));
        }
        // awslogs containers' own output files (their lines are in CloudWatch Logs).
        deletes.push(fs.rm(path.join(this.logsDir, id), { recursive: true, force: true }));
      }
      if (keep.length !== lists.STOPPED.length) lists.STOPPED = keep;
    }
    await Promise.all(deletes);
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Stops the lifecycle timers and kills the process and Docker containers this endpoint runs (see service.ts). */
  close(): Promise<void> {
    clearInterval(this.purgeTimer);
    return this.agent.close(this.byId.values());
  }

  private now(): number {
    return this.options.now() / 1000;
  }

  /** Puts the task's state change event on the local bus (task-events.ts); queued, never waited for. */
  private emit(task: WireTask): void {
    this.options.awsEvents?.put(taskStateChangeEvent(task, this.options.now()));
  }

  // ---- indexes

  private index(entry: TaskEntry, previous: WireTask | undefined): void {
    const { task, clusterName, instanceId } = entry.stored;
    const cluster = this.clusters.find(clusterName);
    const instance = cluster && instanceId !== undefined ? cluster.instances.get(instanceId) : undefined;
    if (previous === undefined) {
      this.byId.set(taskIdOf(task.taskArn), entry);
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
      const id = taskIdOf(task.taskArn);
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
        if (isActive) set.add(taskIdOf(task.taskArn));
        else set.delete(taskIdOf(task.taskArn));
      }
    }
  }

  /** The task's reservation back to its instance: the agent's transitions to STOPPED call it. */
  private release(entry: TaskEntry): void {
    const { clusterName, reservation, task } = entry.stored;
    const instance = this.instanceOf(entry);
    const cluster = this.clusters.find(clusterName);
    if (cluster && instance && reservation) this.clusters.release(cluster, instance, reservation, task.group);
  }

  /** Adds ports to the task's reservation (given back with it) and takes them on its instance. */
  private reservePorts(entry: TaskEntry, ports: number[], portsUdp: number[]): void {
    const { clusterName, reservation } = entry.stored;
    const instance = this.instanceOf(entry);
    const cluster = this.clusters.find(clusterName);
    if (!cluster || !instance || !reservation) return;
    entry.stored = {
      ...entry.stored,
      reservation: {
        ...reservation,
        ports: [...reservation.ports, ...ports],
        portsUdp: [...reservation.portsUdp, ...portsUdp],
      },
    };
    this.clusters.reservePorts(cluster, instance, ports, portsUdp);
  }

  private instanceOf(entry: TaskEntry): InstanceEntry | undefined {
    const { clusterName, instanceId } = entry.stored;
    if (instanceId === undefined) return undefined;
    return this.clusters.find(clusterName)?.instances.get(instanceId);
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
          const entry = this.byId.get(taskIdOf(arn));
          return entry ? [entry.stored.task] : [];
        });
        return { tasks, failures: seen.failures };
      }
    }

    const { td, needs, group } = this.placementNeeds(request);

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
      const all = this.clusters.placementInstances(cluster);
      const { instances, entries } = request.onInstance === undefined ? all : onlyWhere(all, request.onInstance);
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

    const writes = created.map((entry) => this.store.put(taskKey(entry.stored), entry.stored));
    if (request.clientToken !== undefined) {
      const token: StoredClientToken = {
        fingerprint: request.fingerprint,
        taskArns: created.map((e) => e.stored.task.taskArn),
        failures,
      };
      writes.push(this.store.put(`${TOKEN_KEY}${request.clientToken}`, token));
      // Read again only by a RunTask that repeats the token: it need not stay in memory (ECS_STORE_OPTIONS).
      this.store.evict(`${TOKEN_KEY}${request.clientToken}`);
    }
    await Promise.all(writes);
    const tasks = created.map((entry) => entry.stored.task);
    for (const entry of created) {
      this.emit(entry.stored.task);
      void this.agent.drive(entry);
    }
    return { tasks, failures };
  }

  /**
   * StartTask: one task on each container instance named, in order, if it can take it; one that cannot is a
   * failure with ECS's reason for it (MISSING for an instance the cluster does not have or has deregistered,
   * AGENT, ATTRIBUTE, RESOURCE:*). The placement engine checks each instance alone, with no constraint or
   * strategy (StartTask does not use them), and sees what the tasks started before it took.
   */
  async start(
    cluster: ClusterEntry,
    request: RunRequest,
    identifiers: readonly string[],
  ): Promise<{ tasks: WireTask[]; failures: Failure[] }> {
    const { needs, group } = this.placementNeeds(request);
    const created: TaskEntry[] = [];
    const failures: Failure[] = [];
    const injected = this.faults.placementFailure();
    for (const identifier of identifiers) {
      const instance = this.clusters.findInstance(cluster, identifier);
      if (instance === undefined || instance.stored.status === 'INACTIVE') {
        failures.push({ arn: instance?.stored.containerInstanceArn ?? identifier, reason: 'MISSING' });
        continue;
      }
      if (injected !== undefined) {
        failures.push({ arn: instance.stored.containerInstanceArn, reason: injected });
        continue;
      }
      // A DRAINING instance is checked as if ACTIVE: StartTask names it, and the engine would skip it unseen.
      const target = { ...this.clusters.target(instance), status: 'ACTIVE' };
      const result = placeTasks({
        instances: [target],
        needs,
        count: 1,
        placementConstraints: [],
        placementStrategy: [],
        random: this.options.random,
      });
      if (result.placements.length === 0) {
        for (const failure of result.failures) failures.push({ arn: failure.arn, reason: failure.reason });
        continue;
      }
      const reservation = reservationOf(needs);
      created.push(
        this.create(cluster, request, needs.cpu, needs.memory, group, instance.stored.availabilityZone, {
          instance,
          reservation,
        }),
      );
    }
    await Promise.all(created.map((entry) => this.store.put(taskKey(entry.stored), entry.stored)));
    for (const entry of created) void this.agent.drive(entry);
    return { tasks: created.map((entry) => entry.stored.task), failures };
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
      run: newRun((td.containerDefinitions ?? []) as ContainerDefinition[]),
    };
    this.index(entry, undefined);
    return entry;
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
    await this.agent.requestStop(entry, STOP_CODES.user, reason ?? USER_STOP_REASON);
    return entry.stored.task;
  }

  /** Stops the unstopped tasks of an instance whose host went away. */
  async hostLost(instance: InstanceEntry): Promise<WireTask[]> {
    const ids = [...(this.onInstance.get(instance.stored.id) ?? [])];
    const stopped = ids.map((id) => this.byId.get(id)!);
    const reason = hostLostReason(instance.stored.ec2InstanceId);
    await Promise.all(stopped.map((entry) => this.agent.hostLost(entry, reason)));
    return stopped.map((e) => e.stored.task);
  }

  /** The task a task ARN names, in any cluster; undefined when there is none (or it was purged). */
  byArn(arn: string): TaskEntry | undefined {
    if (!arn.startsWith(`${this.arnPrefix}task/`)) return undefined;
    const entry = this.byId.get(taskIdOf(arn));
    return entry?.stored.task.taskArn === arn ? entry : undefined;
  }

  /** Whether a task of the cluster launched by `provider` is not yet STOPPED (PutClusterCapacityProviders). */
  providerInUse(clusterName: string, provider: string): boolean {
    const ids = this.listed.get(clusterName);
    if (ids === undefined) return false;
    return [...ids.RUNNING, ...ids.STOPPED].some((id) => {
      const task = this.byId.get(id)?.stored.task;
      return task?.capacityProviderName === provider && task.lastStatus !== 'STOPPED';
    });
  }

  /** TagResource and UntagResource on a task: its tags become `tags`. */
  async setTags(entry: TaskEntry, tags: Tag[]): Promise<void> {
    entry.stored = { ...entry.stored, tags };
    await this.store.put(taskKey(entry.stored), entry.stored);
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
    return { task, logFile: this.logFile(taskIdOf(task.taskArn)), log };
  }

  /** What a task of the request needs of an instance (lib/placement), and its group (ECS's default: the family). */
  private placementNeeds(request: RunRequest) {
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
    return { td, needs, group };
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
