/**
 * The container agent's side of a task: its lifecycle from placement to STOPPED, declared as a table of
 * transitions (TRANSITIONS), the way moto's `Task(ManagedState)` declares its own, and the containers it runs
 * through local/ecs/runtime (`process` or `simulate`). Follows the task lifecycle in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html:
 *
 *   (awsvpc) PROVISIONING -> PENDING -> [pull] -> RUNNING -> STOPPING -> (awsvpc) DEPROVISIONING -> STOPPED
 *
 * One step (BERTH_ECS_STEP_MS) passes between transitions; every change stores a new task object with `version`
 * + 1 before anyone can read it. Stop codes and reasons follow
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html:
 * - A container that cannot start: its `reason` is the runtime's CannotStartContainerError reason, the others are
 *   stopped, and the task stops with TaskFailedToStart and that reason as `stoppedReason`.
 * - An essential container that exits: the others are stopped (SIGTERM, SIGKILL after their `stopTimeout`,
 *   default 30 s as the agent's ECS_CONTAINER_STOP_TIMEOUT) and the task stops with EssentialContainerExited,
 *   "Essential container in task exited".
 * - StopTask: UserInitiated, the given reason or "Task stopped by user" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html).
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
 * Resources are reserved on the instance at placement (tasks.ts) and given back by the transitions to STOPPED.
 * Containers start in `dependsOn` order, each once its dependencies are met (runtime/depends-on.ts); each one's
 * runtime (docker, process, simulate) is chosen during the pull step (runtime.ts resolveRuntime), and a Docker
 * container's ports and health are recorded on the task as ECS records them.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import type { LogStore } from '../logs/models';
import type { DurableStore } from '../store';
import { type AwslogsTarget, awslogsTarget, LogShipper, prepareAwslogs } from './awslogs';
import type { InstanceEntry } from './clusters';
import type { StoredTaskDefinition } from './models';
import { dependenciesMet, StartAbandonedError, startOrder } from './runtime/depends-on';
import { appendLogLine } from './runtime/log';
import {
  adoptContainer,
  CannotStartContainerError,
  type ContainerExit,
  type ContainerHandle,
  type ContainerSpec,
  chooseRuntime,
  type DockerContext,
  exitedContainer,
  type HealthStatus,
  killOrphan,
  type NetworkBinding,
  type RuntimeChoice,
  type RuntimeKind,
  removeTaskNetwork,
  resolveRuntime,
  startContainer,
} from './runtime/runtime';
import {
  DEFAULT_STOP_TIMEOUT_SECONDS,
  ESSENTIAL_EXITED_REASON,
  FARGATE_HOST_LOST_REASON,
  hostLostReason,
  type LastStatus,
  STOP_CODES,
  type StoredTask,
  type TasksOptions,
  taskIdOf,
  taskKey,
  type WireContainer,
  type WireTask,
} from './task-types';

/**
 * Where the agent is with the task's containers, beside the task's lastStatus and desiredStatus (a stop is asked
 * for once desiredStatus is STOPPED): `starting` while they are being started, `running` once each has started
 * or failed to (their exits are watched), `finishing` once all have exited, on the way to STOPPED.
 */
type Position = 'starting' | 'running' | 'finishing';

/** What is running for a task in this process; absent for a task loaded from disk and not picked up. */
interface Run {
  definitions: ContainerDefinition[];
  handles: Map<string, ContainerHandle>;
  exited: Set<string>;
  position: Position;
  /** The host went away: containers are killed at once and report no exit code. */
  hostLost: boolean;
  /** Each container's runtime, chosen during the pull step. */
  choices: Map<string, RuntimeChoice>;
  /** Resolves when a stop is asked for (a container waiting for its dependencies gives up). */
  stopSignal: { stopped: Promise<void>; fire: () => void };
  /** The awslogs containers' shippers (awslogs.ts), by container name. */
  shippers: Map<string, LogShipper>;
}

export interface TaskEntry {
  stored: StoredTask;
  run?: Run;
}

/** What the agent needs from the Tasks that own it. */
export interface AgentHost {
  readonly store: DurableStore<unknown>;
  readonly options: TasksOptions;
  readonly scratchDir: string;
  logFile(taskId: string): string;
  /**
   * The local CloudWatch Logs that awslogs containers write to, and where such a container's own output file is
   * (awslogs.ts); without it, awslogs configurations are ignored and every container writes to the task's log.
   */
  awslogs?: { logs: LogStore; containerLogFile(taskId: string, container: string): string; pollMs?: number };
  /** Keeps the indexes and the counts in step with a change of the task. */
  changed(entry: TaskEntry, previous: WireTask): void;
  /** Gives the task's reservation back to its instance. */
  release(entry: TaskEntry): void;
  instanceOf(entry: TaskEntry): InstanceEntry | undefined;
  /** Docker: the host ports hostPort 0 took, reserved on the task's instance (given back with the rest). */
  reservePorts?(entry: TaskEntry, tcp: number[], udp: number[]): void;
}

type RuntimeIds = Record<string, string>;

/** What each transition is told, by its name. */
interface TransitionArgs {
  provisioned: undefined;
  pullStarted: undefined;
  pullStopped: undefined;
  started: { runtimeIds: RuntimeIds; bindings?: Record<string, NetworkBinding[]> };
  failedToStart: { container: string; reason: string; runtimeIds: RuntimeIds };
  startInterrupted: undefined;
  stopRequested: { stopCode: string; stoppedReason: string };
  containerExited: { container: string; exit: ContainerExit; hostLost: boolean };
  executionStopped: undefined;
  stopped: undefined;
  lostOnRestart: { stoppedReason: string };
  healthChanged: { container: string; status: HealthStatus; taskHealth: HealthStatus };
}
export type TransitionName = keyof TransitionArgs;

interface Transition<A> {
  from: readonly LastStatus[];
  /** The lastStatus it leaves; absent: it stays. */
  to?: LastStatus | ((task: Pick<WireTask, 'lastStatus' | 'attachments'>) => LastStatus);
  /** What else changes; `now` in epoch seconds. */
  changes(task: WireTask, now: number, args: A): Partial<WireTask>;
  /**
   * `now`: resolves once on disk, for a change an answer reveals (or that carries pids a restarted endpoint needs
   * to kill orphans). `deferred`: a step nobody has seen yet, written with the next batch (DurableStore
   * putDeferred) or at the next durable(), which every answer that shows tasks or counts awaits. A crash can lose
   * only steps no answer revealed; the restarted endpoint stops such a task as on a lost host either way.
   */
  persist: 'now' | 'deferred';
  /** Gives the task's reservation back to its instance. */
  releases?: true;
}

const UNSTOPPED: readonly LastStatus[] = ['PROVISIONING', 'PENDING', 'RUNNING', 'STOPPING', 'DEPROVISIONING'];

const runningContainers = (
  containers: WireContainer[],
  runtimeIds: RuntimeIds,
  bindings: Record<string, NetworkBinding[]> = {},
) =>
  containers.map((c) =>
    runtimeIds[c.name]
      ? {
          ...c,
          lastStatus: 'RUNNING',
          runtimeId: runtimeIds[c.name]!,
          ...(bindings[c.name]?.length ? { networkBindings: bindings[c.name]! } : {}),
        }
      : c,
  );
const stoppedContainers = (containers: WireContainer[]) =>
  containers.map((c) => (c.lastStatus === 'STOPPED' ? c : { ...c, lastStatus: 'STOPPED' }));
const attachmentsIn = (task: WireTask, status: string) => task.attachments.map((a) => ({ ...a, status }));

/** The task lifecycle: every change of a task the agent makes is one of these. */
const TRANSITIONS: { [K in TransitionName]: Transition<TransitionArgs[K]> } = {
  provisioned: {
    from: ['PROVISIONING'],
    to: 'PENDING',
    changes: (t) => ({ attachments: attachmentsIn(t, 'ATTACHED') }),
    persist: 'deferred',
  },
  pullStarted: { from: ['PENDING'], changes: (_, now) => ({ pullStartedAt: now }), persist: 'deferred' },
  pullStopped: { from: ['PENDING'], changes: (_, now) => ({ pullStoppedAt: now }), persist: 'deferred' },
  started: {
    from: ['PENDING'],
    to: 'RUNNING',
    changes: (t, now, { runtimeIds, bindings }) => ({
      startedAt: now,
      connectivity: 'CONNECTED',
      connectivityAt: now,
      containers: runningContainers(t.containers, runtimeIds, bindings),
    }),
    persist: 'deferred',
  },
  /** One container could not start; stopRequested (TaskFailedToStart) follows. */
  failedToStart: {
    from: ['PENDING'],
    changes: (t, _, { container, reason, runtimeIds }) => ({
      containers: runningContainers(
        t.containers.map((c) => (c.name === container ? { ...c, lastStatus: 'STOPPED', reason } : c)),
        runtimeIds,
      ),
    }),
    persist: 'now',
  },
  /** A stop came while the containers were starting: only their pids are recorded. */
  startInterrupted: { from: ['PENDING'], changes: () => ({}), persist: 'now' },
  stopRequested: {
    from: ['PROVISIONING', 'PENDING', 'RUNNING'],
    to: (t) => (t.lastStatus === 'RUNNING' ? 'STOPPING' : t.lastStatus),
    changes: (_, now, { stopCode, stoppedReason }) => ({
      desiredStatus: 'STOPPED',
      stopCode,
      stoppedReason,
      stoppingAt: now,
    }),
    persist: 'now',
  },
  /** A container killed after the emulator failed the task can still report once it is STOPPED. */
  containerExited: {
    from: [...UNSTOPPED, 'STOPPED'],
    changes: (t, _, { container, exit, hostLost }) => ({
      containers: t.containers.map((c) => {
        if (c.name !== container) return c;
        const { exitCode: _, reason: __, ...rest } = c;
        if (hostLost) return { ...rest, lastStatus: 'STOPPED' };
        return {
          ...rest,
          lastStatus: 'STOPPED',
          ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
          ...(exit.reason !== undefined ? { reason: exit.reason } : c.reason ? { reason: c.reason } : {}),
        };
      }),
    }),
    persist: 'deferred',
  },
  /** Every container has exited (or never started); a task nobody stopped ends as its essential container did. */
  executionStopped: {
    from: UNSTOPPED,
    to: (t) => (t.attachments.length > 0 ? 'DEPROVISIONING' : 'STOPPING'),
    changes: (t, now) => ({
      desiredStatus: 'STOPPED',
      ...(t.stopCode === undefined
        ? { stopCode: STOP_CODES.essentialExited, stoppedReason: ESSENTIAL_EXITED_REASON, stoppingAt: now }
        : {}),
      executionStoppedAt: now,
      containers: stoppedContainers(t.containers),
      attachments: attachmentsIn(t, 'DETACHING'),
    }),
    persist: 'deferred',
  },
  stopped: {
    from: ['STOPPING', 'DEPROVISIONING'],
    to: 'STOPPED',
    changes: (t, now) => ({ stoppedAt: now, attachments: attachmentsIn(t, 'DELETED') }),
    persist: 'now',
    releases: true,
  },
  /** A Docker health check changed a container's healthStatus, and with it maybe the task's. */
  healthChanged: {
    from: UNSTOPPED,
    changes: (t, _, { container, status, taskHealth }) => ({
      healthStatus: taskHealth,
      containers: t.containers.map((c) => (c.name === container ? { ...c, healthStatus: status } : c)),
    }),
    persist: 'deferred',
  },
  /** A restart under a task whose containers' outcome cannot be known: stopped at once, as on a lost host. */
  lostOnRestart: {
    from: UNSTOPPED,
    to: 'STOPPED',
    changes: (t, now, { stoppedReason }) => ({
      desiredStatus: 'STOPPED',
      ...(t.desiredStatus === 'STOPPED' && t.stopCode !== undefined
        ? {}
        : { stopCode: STOP_CODES.hostLost, stoppedReason }),
      stoppingAt: t.stoppingAt ?? now,
      executionStoppedAt: t.executionStoppedAt ?? now,
      stoppedAt: now,
      containers: stoppedContainers(t.containers),
      attachments: attachmentsIn(t, 'DELETED'),
    }),
    persist: 'now',
    releases: true,
  },
};

/**
 * Where the transition takes a task, or undefined when the table has no such transition from its lastStatus:
 * the table read as moto's (from, to) pairs, for the tests.
 */
export function lastStatusAfter(
  name: TransitionName,
  task: Pick<WireTask, 'lastStatus' | 'attachments'>,
): LastStatus | undefined {
  const spec = TRANSITIONS[name] as Transition<unknown>;
  return spec.from.includes(task.lastStatus) ? targetOf(spec, task) : undefined;
}

function targetOf(spec: Transition<unknown>, task: Pick<WireTask, 'lastStatus' | 'attachments'>): LastStatus {
  if (spec.to === undefined) return task.lastStatus;
  return typeof spec.to === 'function' ? spec.to(task) : spec.to;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** The run of a task about to be started in this process. */
export function newRun(definitions: ContainerDefinition[]): Run {
  let fire!: () => void;
  const stopped = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return {
    definitions,
    handles: new Map(),
    exited: new Set(),
    position: 'starting',
    hostLost: false,
    choices: new Map(),
    stopSignal: { stopped, fire },
    shippers: new Map(),
  };
}

export class TaskAgent {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closedFlag = false;

  constructor(private readonly host: AgentHost) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Stops the lifecycle timers and kills the process and Docker containers of these tasks (see service.ts);
   * resolves once the Docker ones are removed.
   */
  close(entries: Iterable<TaskEntry>): Promise<void> {
    this.closedFlag = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const removals: Promise<void>[] = [];
    for (const entry of entries) {
      for (const handle of entry.run?.handles.values() ?? []) {
        if (handle.pid !== undefined) killOrphan(handle.pid);
        if (handle.abandon) removals.push(handle.abandon());
      }
      for (const shipper of entry.run?.shippers.values() ?? []) void shipper.stop();
    }
    return Promise.all(removals).then(() => undefined);
  }

  private now(): number {
    return this.host.options.now() / 1000;
  }

  /**
   * Applies a transition of the table now (version + 1). A `now` one resolves once it is on disk; after close()
   * nothing changes.
   */
  private transition<K extends TransitionName>(
    entry: TaskEntry,
    name: K,
    args: TransitionArgs[K],
    extra: Partial<StoredTask> = {},
  ): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    const spec = TRANSITIONS[name];
    const previous = entry.stored.task;
    if (!spec.from.includes(previous.lastStatus)) {
      console.error(`[berth] ECS task ${previous.taskArn}: no transition ${name} from ${previous.lastStatus}`);
      return Promise.resolve();
    }
    const task: WireTask = {
      ...previous,
      ...spec.changes(previous, this.now(), args),
      lastStatus: targetOf(spec as Transition<unknown>, previous),
      version: previous.version + 1,
    };
    entry.stored = { ...entry.stored, ...extra, task };
    this.host.changed(entry, previous);
    if (spec.releases && previous.lastStatus !== 'STOPPED') this.host.release(entry);
    const key = taskKey(entry.stored);
    if (spec.persist === 'deferred' && extra.pids === undefined) {
      try {
        this.host.store.putDeferred(key, entry.stored);
      } catch (err) {
        console.error(`[berth] ECS could not store task ${task.taskArn}:`, err);
      }
      return Promise.resolve();
    }
    return this.host.store.put(key, entry.stored).catch((err: unknown) => {
      console.error(`[berth] ECS could not store task ${task.taskArn}:`, err);
      throw err;
    });
  }

  /**
   * Appends a runtime note to the log kept in the task's record (StoredTask.log), written as a lifecycle step
   * is (deferred); GetTaskLog awaits durable() before showing it. Not a change of the task: no version + 1.
   */
  private note(entry: TaskEntry, line: string): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    entry.stored = { ...entry.stored, log: `${entry.stored.log ?? ''}${line}\n` };
    this.host.store.putDeferred(taskKey(entry.stored), entry.stored);
    return Promise.resolve();
  }

  private step(): Promise<boolean> {
    if (this.closedFlag) return new Promise(() => {});
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.closedFlag);
      }, this.host.options.stepMs);
      this.timers.add(timer);
    });
  }

  /** Takes a placed task (its run made by newRun) through its lifecycle. */
  async drive(entry: TaskEntry): Promise<void> {
    try {
      await this.start(entry);
    } catch (err) {
      if (this.closedFlag) return;
      console.error(`[berth] ECS task ${entry.stored.task.taskArn} failed in the emulator:`, err);
      const run = entry.run!;
      if (!stopAsked(entry)) this.requestStop(entry, STOP_CODES.failedToStart, `Berth: ${(err as Error).message}`);
      for (const handle of run.handles.values()) {
        if (handle.pid !== undefined) killOrphan(handle.pid);
        void handle.abandon?.();
      }
      void this.finish(entry);
    }
  }

  private async start(entry: TaskEntry): Promise<void> {
    const run = entry.run!;
    // Steps a task picked up after a restart had already taken are not taken again (recover).
    const stopIfAsked = () => {
      if (!stopAsked(entry)) return false;
      if (run.handles.size > 0) {
        run.position = 'running';
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
      this.transition(entry, 'provisioned', undefined);
    }
    if (entry.stored.task.pullStartedAt === undefined) {
      if (!(await this.step())) return;
      if (stopIfAsked()) return;
      this.transition(entry, 'pullStarted', undefined);
    }
    const taskId = taskIdOf(entry.stored.task.taskArn);
    const runtimeOptions = this.runtimeOptions();
    const specs = this.containerSpecs(entry, run.definitions, this.host.logFile(taskId), taskId);
    // The pull step: each container's runtime is chosen, its image pulled when Docker is to run it.
    await Promise.all(
      specs
        .filter((spec) => !run.handles.has(spec.containerName) && !run.choices.has(spec.containerName))
        .map(async (spec) => run.choices.set(spec.containerName, await resolveRuntime(spec, runtimeOptions))),
    );
    this.routeNotes(entry, specs);
    if (entry.stored.task.pullStoppedAt === undefined) {
      if (!(await this.step())) return;
      if (stopIfAsked()) return;
      this.transition(entry, 'pullStopped', undefined);
    }

    let failed: { container: string; reason: string } | undefined;
    const runtimeIds: RuntimeIds = {};
    const pids: Record<string, number> = { ...entry.stored.pids };
    const bindings: Record<string, NetworkBinding[]> = {};
    for (const spec of specs) {
      runtimeIds[spec.containerName] =
        entry.stored.task.containers.find((c) => c.name === spec.containerName)?.runtimeId ?? hex(32);
    }
    for (const [name, handle] of run.handles) {
      if (handle.pid !== undefined) pids[name] = handle.pid;
    }
    const targets = await this.prepareLogs(entry, run, runtimeIds);
    if ('reason' in targets) failed = targets;
    const byName = new Map(specs.map((spec) => [spec.containerName, spec]));
    for (const name of failed === undefined ? startOrder(run.definitions) : []) {
      const spec = byName.get(name);
      if (spec === undefined || run.handles.has(name)) continue; // adopted after a restart
      if (stopAsked(entry) || this.closedFlag) break;
      this.ship(run, spec, (targets as Map<string, AwslogsTarget>).get(spec.containerName));
      try {
        const definition = run.definitions.find((d) => d.name === name)!;
        if (definition.dependsOn?.length) await dependenciesMet(definition, run.handles, run.stopSignal.stopped);
        if (stopAsked(entry) || this.closedFlag) break;
        const handle = await startContainer(spec, runtimeOptions, run.choices.get(name));
        run.handles.set(name, handle);
        if (handle.pid !== undefined) pids[name] = handle.pid;
        if (handle.networkBindings?.length) {
          bindings[name] = handle.networkBindings;
          this.reserveBindings(entry, handle.networkBindings, definition);
        }
        this.watchHealth(entry, name, handle);
      } catch (err) {
        if (err instanceof StartAbandonedError) break;
        if (!(err instanceof CannotStartContainerError)) throw err;
        failed = { container: name, reason: err.reason };
        break;
      }
    }
    for (const name of Object.keys(runtimeIds)) if (!run.handles.has(name)) delete runtimeIds[name];
    if (this.closedFlag) {
      for (const handle of run.handles.values()) {
        if (handle.pid !== undefined) killOrphan(handle.pid);
        void handle.abandon?.();
      }
      return;
    }
    run.position = 'running';
    const runtimes = this.runtimesOf(run);
    if (failed !== undefined) {
      void this.transition(entry, 'failedToStart', { ...failed, runtimeIds }, { pids, runtimes });
      if (!stopAsked(entry)) this.requestStop(entry, STOP_CODES.failedToStart, failed.reason);
    } else if (!stopAsked(entry)) {
      // Process containers' pids are written at once: a restarted endpoint must find them to kill orphans.
      void this.transition(
        entry,
        'started',
        { runtimeIds, bindings },
        Object.keys(pids).length > 0 ? { pids, runtimes } : { runtimes },
      );
    } else {
      void this.transition(entry, 'startInterrupted', undefined, { pids, runtimes });
    }
    this.watchExits(entry);
    if (stopAsked(entry)) this.stopContainers(entry);
    if (run.handles.size === 0) void this.finish(entry);
  }

  /**
   * Each awslogs container's group checked and stream made before any container starts (awslogs.ts): the
   * targets by container name, or the first container whose logs cannot be set up and ECS's reason.
   */
  private async prepareLogs(
    entry: TaskEntry,
    run: Run,
    runtimeIds: RuntimeIds,
  ): Promise<Map<string, AwslogsTarget> | { container: string; reason: string }> {
    const targets = new Map<string, AwslogsTarget>();
    const awslogs = this.host.awslogs;
    if (awslogs === undefined) return targets;
    for (const definition of run.definitions) {
      const name = definition.name!;
      const target = awslogsTarget(
        definition,
        entry.stored.task.taskArn,
        runtimeIds[name] ?? '',
        this.host.options.region,
      );
      if (target === undefined) continue;
      const reason = await prepareAwslogs(awslogs.logs, target);
      if (reason !== undefined) return { container: name, reason };
      targets.set(name, target);
    }
    return targets;
  }

  /** Starts shipping an awslogs container's output file to its stream. */
  private ship(run: Run, spec: ContainerSpec, target: AwslogsTarget | undefined): LogShipper | undefined {
    const awslogs = this.host.awslogs;
    if (awslogs === undefined || target === undefined || run.shippers.has(spec.containerName)) {
      return run.shippers.get(spec.containerName);
    }
    const shipper = new LogShipper(spec.logFile, target, awslogs.logs, {
      ...(awslogs.pollMs === undefined ? {} : { pollMs: awslogs.pollMs }),
      now: this.host.options.now,
    });
    run.shippers.set(spec.containerName, shipper);
    shipper.start();
    return shipper;
  }

  private watchExits(entry: TaskEntry): void {
    const run = entry.run!;
    for (const [name, handle] of run.handles) {
      if (!run.exited.has(name)) void handle.exited.then((exit) => this.containerExited(entry, name, exit));
    }
  }

  private runtimeOptions() {
    const { simulateSeconds, runtime } = this.host.options;
    return { simulateSeconds, ...(runtime !== undefined ? { runtime } : {}) };
  }

  /** The specs of the task's containers (notes routed by routeNotes once their runtimes are known). */
  private containerSpecs(
    entry: TaskEntry,
    definitions: ContainerDefinition[],
    logFile: string,
    taskId: string,
  ): ContainerSpec[] {
    const context = this.taskContext(entry);
    const awslogs = this.host.awslogs;
    // An awslogs container writes to a file of its own, which its shipper sends to CloudWatch Logs (awslogs.ts).
    return definitions.map((definition) =>
      this.containerSpec(
        entry,
        definition,
        awslogs !== undefined && definition.logConfiguration?.logDriver === 'awslogs'
          ? awslogs.containerLogFile(taskId, definition.name!)
          : logFile,
        taskId,
        context,
      ),
    );
  }

  /**
   * Notes go to the task's record when none of the containers writing to the task's log file writes output to it
   * (all simulated). An awslogs container's simulation notes go with its output to its stream (they stand for the
   * output a simulated container has none of).
   */
  private routeNotes(entry: TaskEntry, specs: ContainerSpec[], run: Run = entry.run!): void {
    const kindOf = (spec: ContainerSpec): RuntimeKind =>
      run.handles.get(spec.containerName)?.kind ??
      run.choices.get(spec.containerName)?.kind ??
      entry.stored.runtimes?.[spec.containerName] ??
      safeChoice(spec);
    const taskLog = this.host.logFile(taskIdOf(entry.stored.task.taskArn));
    const taskLogged = specs.filter((spec) => spec.logFile === taskLog);
    const toRecord = !taskLogged.some((spec) => kindOf(spec) !== 'simulate');
    const inTaskLog = toRecord
      ? (line: string) => this.note(entry, line)
      : (line: string) => appendLogLine(taskLog, line);
    if (toRecord) for (const spec of taskLogged) spec.note = inTaskLog;
    // The user's stream gets an awslogs container's output only; the task's log says which runtime ran it.
    for (const spec of specs) if (spec.logFile !== taskLog) spec.runtimeNote = inTaskLog;
  }

  private runtimesOf(run: Run): Record<string, RuntimeKind> {
    const runtimes: Record<string, RuntimeKind> = {};
    for (const [name, handle] of run.handles) runtimes[name] = handle.kind;
    return runtimes;
  }

  /** What every container of the task shares in Docker: its definition's family, network mode and limits. */
  private taskContext(entry: TaskEntry): Omit<DockerContext, 'definition'> | undefined {
    const { task, clusterName } = entry.stored;
    const stored = this.taskDefinitionOf(task);
    if (stored === undefined) return undefined;
    const td = stored.taskDefinition;
    const mode = td.networkMode ?? (task.launchType === 'FARGATE' ? 'awsvpc' : 'bridge');
    const number = (value: string | undefined) => {
      const n = Number(value);
      return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
    };
    const taskCpu = number(task.overrides.cpu ?? td.cpu);
    const taskMemory = number(task.overrides.memory ?? td.memory);
    const instance = this.host.instanceOf(entry);
    return {
      family: td.family,
      revision: td.revision,
      cluster: clusterName,
      networkMode: mode === 'host' || mode === 'none' || mode === 'awsvpc' ? mode : 'bridge',
      ...(taskCpu !== undefined ? { taskCpu } : {}),
      ...(taskMemory !== undefined ? { taskMemory } : {}),
      owner: this.host.options.stateDir,
      ...(instance !== undefined ? { portsInUse: () => instance.remaining.ports } : {}),
    };
  }

  /** Reserves the host ports hostPort 0 took on the task's instance (static ones were reserved at placement). */
  private reserveBindings(entry: TaskEntry, bindings: NetworkBinding[], definition: ContainerDefinition): void {
    const dynamic = bindings.filter((b) =>
      (definition.portMappings ?? []).some((m) => m.containerPort === b.containerPort && !m.hostPort),
    );
    if (dynamic.length === 0 || entry.stored.task.launchType !== 'EC2') return;
    const ports = (protocol: string) => dynamic.filter((b) => b.protocol === protocol).map((b) => b.hostPort);
    this.host.reservePorts?.(entry, ports('tcp'), ports('udp'));
  }

  private watchHealth(entry: TaskEntry, name: string, handle: ContainerHandle): void {
    handle.health?.onChange((status) => {
      const run = entry.run;
      if (run === undefined) return; // the task has stopped
      const statuses = run.definitions
        .filter((d) => d.essential !== false && d.healthCheck?.command?.length)
        .map((d) => (d.name === name ? status : (run.handles.get(d.name ?? '')?.health?.current ?? 'UNKNOWN')));
      const taskHealth: HealthStatus = statuses.includes('UNHEALTHY')
        ? 'UNHEALTHY'
        : statuses.length > 0 && statuses.every((s) => s === 'HEALTHY')
          ? 'HEALTHY'
          : 'UNKNOWN';
      void this.transition(entry, 'healthChanged', { container: name, status, taskHealth });
    });
  }

  private containerSpec(
    entry: TaskEntry,
    definition: ContainerDefinition,
    logFile: string,
    taskId: string,
    context: Omit<DockerContext, 'definition'> | undefined,
  ) {
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
      scratchDir: path.join(this.host.scratchDir, taskId, name),
      // Container names cannot start with a dot: this never is a container's scratch dir.
      statusDir: path.join(this.host.scratchDir, taskId, '.berth', name),
    };
    if (definition.entryPoint !== undefined) spec.entryPoint = definition.entryPoint;
    const command = override?.command ?? definition.command;
    if (command !== undefined) spec.command = command;
    if (definition.workingDirectory !== undefined) spec.workingDirectory = definition.workingDirectory;
    if (definition.dockerLabels !== undefined) spec.dockerLabels = definition.dockerLabels;
    if (context !== undefined) {
      const cpu = override?.cpu ?? definition.cpu;
      const memory = override?.memory ?? definition.memory;
      const memoryReservation = override?.memoryReservation ?? definition.memoryReservation;
      spec.docker = {
        ...context,
        definition,
        ...(cpu !== undefined ? { cpu } : {}),
        ...(memory !== undefined ? { memory } : {}),
        ...(memoryReservation !== undefined ? { memoryReservation } : {}),
      };
    }
    return spec;
  }

  private containerExited(entry: TaskEntry, name: string, exit: ContainerExit): void {
    const run = entry.run;
    // A container of a task that failed to start may report its exit after the task has stopped.
    if (run === undefined || this.closedFlag || run.exited.has(name)) return;
    run.exited.add(name);
    void run.shippers.get(name)?.finish();
    this.transition(entry, 'containerExited', { container: name, exit, hostLost: run.hostLost });
    const essential = run.definitions.find((d) => d.name === name)?.essential !== false;
    if (essential && !stopAsked(entry)) this.requestStop(entry, STOP_CODES.essentialExited, ESSENTIAL_EXITED_REASON);
    if (run.exited.size === run.handles.size && run.position === 'running') void this.finish(entry);
  }

  /** Asks the task to stop (desiredStatus STOPPED); the containers are stopped once they have started. */
  requestStop(entry: TaskEntry, stopCode: string, stoppedReason: string): Promise<void> {
    const written = this.transition(entry, 'stopRequested', { stopCode, stoppedReason });
    entry.run?.stopSignal.fire();
    if (entry.run !== undefined && entry.run.position !== 'starting') this.stopContainers(entry);
    return written;
  }

  /** The task's host went away: its containers are killed and report no exit code. */
  async hostLost(entry: TaskEntry, stoppedReason: string): Promise<void> {
    const run = entry.run;
    if (run !== undefined) run.hostLost = true;
    if (!stopAsked(entry)) await this.requestStop(entry, STOP_CODES.hostLost, stoppedReason);
    else if (run !== undefined && run.position !== 'starting') this.stopContainers(entry);
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
      if (run.position === 'finishing') return;
      run.position = 'finishing';
    }
    this.transition(entry, 'executionStopped', undefined);
    if (!(await this.step())) return;
    await this.transition(entry, 'stopped', undefined).catch(() => {});
    const taskId = taskIdOf(entry.stored.task.taskArn);
    await fs.rm(path.join(this.host.scratchDir, taskId), { recursive: true, force: true }).catch(() => {});
    if (run !== undefined && [...run.handles.values()].some((h) => h.kind === 'docker')) {
      await removeTaskNetwork(entry.stored.task.taskArn);
    }
    // Nothing runs for a STOPPED task: its handles, shippers and buffers would otherwise stay as long as the task
    // is listed (an hour), per task.
    if (entry.run === run) delete entry.run;
  }

  // ---- recover: a task the previous endpoint process left unstopped (see the module comment)

  async recover(entry: TaskEntry): Promise<void> {
    const { task, pids } = entry.stored;
    const definitions = this.containerDefinitionsOf(task);
    if (definitions === undefined) return this.stopAsLostHost(entry);
    const run = newRun(definitions);
    const taskId = taskIdOf(task.taskArn);
    const specs = this.containerSpecs(entry, definitions, this.host.logFile(taskId), taskId);
    this.routeNotes(entry, specs, run);
    const starting = task.lastStatus === 'PROVISIONING' || task.lastStatus === 'PENDING';
    const runtimeIds: RuntimeIds = {};
    for (const c of task.containers) if (c.runtimeId !== undefined) runtimeIds[c.name] = c.runtimeId;
    const startedAt = task.startedAt === undefined ? undefined : task.startedAt * 1000;
    let unknown = false;
    for (const spec of specs) {
      const name = spec.containerName;
      const recorded = task.containers.find((c) => c.name === name);
      const definition = definitions.find((d) => d.name === name)!;
      const target =
        runtimeIds[name] === undefined
          ? undefined
          : awslogsTarget(definition, task.taskArn, runtimeIds[name]!, this.host.options.region);
      const shipper = this.ship(run, spec, target);
      if (!starting && recorded?.lastStatus === 'STOPPED') {
        run.handles.set(
          name,
          exitedContainer(spec, { exitCode: recorded.exitCode ?? null }, entry.stored.runtimes?.[name]),
        );
        run.exited.add(name);
        void shipper?.finish();
        continue;
      }
      const adopted = await adoptContainer(
        spec,
        { simulateSeconds: this.host.options.simulateSeconds },
        {
          ...(pids[name] !== undefined ? { pid: pids[name] } : {}),
          ...(starting || startedAt === undefined ? {} : { startedAt }),
          ...(entry.stored.runtimes?.[name] !== undefined ? { kind: entry.stored.runtimes[name] } : {}),
        },
      );
      if (adopted.state === 'running') {
        run.handles.set(name, adopted.handle);
        this.watchHealth(entry, name, adopted.handle);
      } else if (adopted.state === 'exited') {
        run.handles.set(name, exitedContainer(spec, adopted.exit, entry.stored.runtimes?.[name]));
      } else if (adopted.state === 'unknown' || !starting) unknown = true;
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
    run.position = 'running';
    this.watchExits(entry);
    if (stopAsked(entry)) this.stopContainers(entry);
    if (run.exited.size === run.handles.size) void this.finish(entry);
  }

  /** The container definitions of the task's definition, from the store; undefined when it was deleted. */
  private containerDefinitionsOf(task: WireTask): ContainerDefinition[] | undefined {
    return this.taskDefinitionOf(task)?.taskDefinition.containerDefinitions as ContainerDefinition[] | undefined;
  }

  private taskDefinitionOf(task: WireTask): StoredTaskDefinition | undefined {
    const key = `task-definition/${task.taskDefinitionArn.slice(task.taskDefinitionArn.indexOf('task-definition/') + 16)}`;
    return this.host.store.get(key) as StoredTaskDefinition | undefined;
  }

  private stopAsLostHost(entry: TaskEntry): Promise<void> {
    for (const pid of Object.values(entry.stored.pids)) killOrphan(pid, entry.stored.task.taskArn);
    const instance = this.host.instanceOf(entry);
    const stoppedReason =
      instance !== undefined ? hostLostReason(instance.stored.ec2InstanceId) : FARGATE_HOST_LOST_REASON;
    return this.transition(entry, 'lostOnRestart', { stoppedReason });
  }
}

/** The runtime a container would get without Docker; a bad label counts as simulate (it fails to start anyway). */
function safeChoice(spec: ContainerSpec): RuntimeKind {
  try {
    return chooseRuntime(spec);
  } catch {
    return 'simulate';
  }
}

/** A stop has been asked for (StopTask, an essential exit, a failure, a lost host) or the task has stopped. */
function stopAsked(entry: TaskEntry): boolean {
  return entry.stored.task.desiredStatus === 'STOPPED';
}
