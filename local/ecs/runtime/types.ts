/**
 * The contract between the emulator's task lifecycle and the container runtimes: what a container is asked to
 * run, and the handle it gets back. No ECS state lives here: no task or cluster bookkeeping, just containers.
 */

import type { ContainerDefinition } from '@aws-sdk/client-ecs';

/**
 * `docker` runs the container's image in Docker; `process` runs its entryPoint + command on the host; `simulate`
 * pretends to run its image.
 */
export type RuntimeKind = 'docker' | 'process' | 'simulate';

/** BERTH_ECS_RUNTIME: one runtime for every container, or `auto` (see runtime.ts resolveRuntime). */
export type RuntimeSetting = 'auto' | RuntimeKind;

export type HealthStatus = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

/** A port the container publishes, as the task's `networkBindings` show it. */
export interface NetworkBinding {
  bindIP: string;
  containerPort: number;
  hostPort: number;
  protocol: 'tcp' | 'udp';
}

/** What the docker runtime needs beyond the rest of the spec: the container definition and the task around it. */
export interface DockerContext {
  definition: ContainerDefinition;
  family: string;
  revision: number;
  cluster: string;
  networkMode: 'bridge' | 'host' | 'none' | 'awsvpc';
  /** The container's cpu units, memory and memoryReservation (MiB), overrides applied. */
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  /** Task-level cpu units and memory (MiB), overrides applied. */
  taskCpu?: number;
  taskMemory?: number;
  /** The endpoint's state directory: which endpoint's containers these are (see docker-runtime.ts). */
  owner: string;
  /** Host ports already taken on the container instance (its reserved PORTS), for hostPort 0. */
  portsInUse?: () => Iterable<number>;
}

/** A container's health as its health check reports it (docker runtime only). */
export interface ContainerHealth {
  readonly current: HealthStatus;
  onChange(listener: (status: HealthStatus) => void): void;
}

export interface ContainerSpec {
  taskArn: string;
  containerName: string;
  image: string;
  entryPoint?: string[];
  command?: string[];
  /** Already merged by the caller (task definition environment, then overrides, as ECS does). */
  environment: Record<string, string>;
  workingDirectory?: string;
  dockerLabels?: Record<string, string>;
  /** Where this container's stdout/stderr go (appended; the caller reads it as the task's log). */
  logFile: string;
  /**
   * Where the runtime's own lines go (a simulated container's notes), resolving once they are kept; rejecting
   * with a CannotStartContainerError when they cannot be. Default: appended to `logFile`. The task lifecycle keeps
   * the notes of a task with no process container in the task's record instead, so such a task makes no file.
   */
  note?: (line: string) => Promise<void>;
  /**
   * Where the note of which runtime runs the container, and why, goes when it is not `note`: an awslogs container's
   * output is the user's CloudWatch Logs stream, which gets the container's output only, so the task's record
   * (GetTaskLog) keeps that note.
   */
  runtimeNote?: (line: string) => Promise<void>;
  /** Directory the runtime may use as the container's scratch/working dir (created if missing). */
  scratchDir: string;
  /**
   * The runtime's own directory for this container, outside what the container is given (created if missing):
   * a process container's wrapper writes its pid and exit status there, so that a restarted emulator can adopt it.
   */
  statusDir: string;
  /** Set when the container may run in Docker (see DockerContext). */
  docker?: DockerContext;
}

export interface ContainerExit {
  /** The exit code ECS would report: the process's own, or 128 + signal number when a signal ended it. */
  exitCode: number | null;
  /** A container-level reason in ECS's words, when there is one (none for an ordinary exit). */
  reason?: string;
}

export interface ContainerHandle {
  kind: RuntimeKind;
  /** For process containers: the pid, also the process group and session id, so a restarted emulator can kill orphans. */
  pid?: number;
  /** Resolves once, when the container has exited; never rejects. */
  exited: Promise<ContainerExit>;
  /**
   * Docker stop: SIGTERM, then SIGKILL after `stopTimeoutSeconds` (fractions allowed) if still running.
   * Resolves with the exit when the container has exited; on an exited container, resolves with its exit at once.
   */
  stop(stopTimeoutSeconds: number): Promise<ContainerExit>;
  /** Docker containers: the host ports it publishes. */
  networkBindings?: NetworkBinding[];
  /** Docker containers with a health check. */
  health?: ContainerHealth;
  /** Docker containers: kills and removes it, for an endpoint that closes under it. */
  abandon?(): Promise<void>;
}

/** A container a previous emulator process started, found again after a restart (runtime.ts adoptContainer). */
export type AdoptedContainer =
  /** Still running: this handle watches it and stops it. */
  | { state: 'running'; handle: ContainerHandle }
  /** Ended while no emulator ran, with this exit. */
  | { state: 'exited'; exit: ContainerExit }
  /** It ran, and how it ended cannot be known. */
  | { state: 'unknown' }
  /** Nothing says it was ever started. */
  | { state: 'not-started' };

export interface RuntimeOptions {
  /** How long a simulated container runs when nothing steers it, in seconds (see DEFAULT_SIMULATE_SECONDS). */
  simulateSeconds: number;
  /** BERTH_ECS_RUNTIME; default `auto`. */
  runtime?: RuntimeSetting;
}

/** The runtime a container runs in, and why (the task's log says it). */
export interface RuntimeChoice {
  kind: RuntimeKind;
  why: string;
  /** The container cannot start (a bad `berth.runtime` label, a failed pull with `docker`): this error says why. */
  error?: Error;
  /** A simulated container that Docker could have run: why it did not. */
  dockerWhy?: string;
}
