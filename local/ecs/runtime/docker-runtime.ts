/**
 * The `docker` runtime: a container definition run as a Docker container through the Docker Engine API
 * (https://docs.docker.com/reference/api/engine/version/v1.41/, on `DOCKER_HOST` or the default socket), the way
 * the ECS agent on an EC2 container instance hands it to Docker. What it follows in aws/amazon-ecs-agent (read, not
 * copied):
 * - `agent/api/task/task.go` dockerConfig / dockerHostConfig / getDockerResources: Image, Entrypoint (only when the
 *   definition sets one, so the image's own stays otherwise), Cmd, Env, ExposedPorts and PortBindings, memory as the
 *   hard limit with the agent's 4 MiB floor (`DockerContainerMinimumMemoryInBytes`, agent/api/container), cpu as
 *   CPU shares clamped to 2..262144 (`dockerCPUShares`, task_linux.go: 0 would mean 1024 to Docker). The other
 *   container fields reach Docker through the control plane's DockerConfig JSON; they map one to one:
 *   workingDirectory -> WorkingDir, user -> User, dockerLabels -> Labels, ulimits -> Ulimits,
 *   linuxParameters.initProcessEnabled -> Init, readonlyRootFilesystem -> ReadonlyRootfs, privileged ->
 *   Privileged, memoryReservation -> MemoryReservation, healthCheck -> Healthcheck (seconds to nanoseconds),
 *   stopTimeout -> StopTimeout.
 * - `agent/engine/docker_task_engine.go` createContainer: the name `ecs-<family>-<revision>-<name>-<hex>` and the
 *   labels `com.amazonaws.ecs.task-arn`, `container-name`, `task-definition-family`, `task-definition-version`,
 *   `cluster`, set last so a dockerLabel cannot override them.
 * - `agent/dockerclient/dockerapi`: the exit code as Docker reports it; `State.OOMKilled` gives the container's
 *   reason `OutOfMemoryError: Container killed due to memory usage`; a failed pull is `CannotPullContainerError:`
 *   and Docker's message, a failed create or start `CannotStartContainerError:` and Docker's message.
 * - `agent/utils/ephemeral_ports_linux.go`: hostPort 0 takes a port from 49153-65535 (the agent's default
 *   dynamic host port range), which the task reports in `networkBindings`.
 *
 * Deliberate deviations, each because this runs on a developer's machine, not a container instance:
 * - Ports are published on 127.0.0.1 only, and `networkBindings[].bindIP` says so (ECS says 0.0.0.0).
 * - bridge mode runs on a user-defined network per cluster (`berth-<cluster>`), not docker0: containers of a
 *   cluster reach each other by container name; awsvpc is a network of the task's own (`berth-task-<task id>`),
 *   whose containers reach each other by name, not on localhost as they would through the task's ENI.
 * - Task-level cpu and memory: the agent puts the task's containers in one cgroup with those limits. Docker has
 *   no such group: a container with no memory of its own gets the task's memory as its hard limit (what the agent
 *   itself does on cgroup v2, PropagateTaskMemoryLimitCgroupV2), and each container gets the task's cpu as a CPU
 *   quota (NanoCpus, at most the host's CPUs), so the task's containers together may use more than the task.
 * - `docker stop` takes whole seconds: a stopTimeout with a fraction is rounded up.
 * - The container is removed as soon as it has exited and its output is in the task's log (ECS keeps it for
 *   ECS_ENGINE_TASK_CLEANUP_WAIT_DURATION, 3 h by default).
 *
 * Output: stdout and stderr are followed through the API (`docker logs -f`) and appended to the task's log file.
 * Each container is labelled `berth.state-dir` with the endpoint's state directory, so a restarted endpoint finds
 * the containers a previous one left: adoptDocker re-adopts the one of a task it picks up again (its output
 * followed from the log file's last change on), sweepDockerOrphans removes the rest.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { CannotStartContainerError, ERROR_NAME } from './errors';
import type {
  AdoptedContainer,
  ContainerExit,
  ContainerHandle,
  ContainerHealth,
  ContainerSpec,
  DockerContext,
  HealthStatus,
  NetworkBinding,
} from './types';

export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';
export const PULL_ERROR_NAME = 'CannotPullContainerError';
/** The ECS agent's default dynamic host port range on Linux. */
export const EPHEMERAL_PORTS = { first: 49153, last: 65535 } as const;
export const MIN_MEMORY_BYTES = 4 * 1024 * 1024;
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;
export const STATE_DIR_LABEL = 'berth.state-dir';
export const TASK_ARN_LABEL = 'com.amazonaws.ecs.task-arn';
export const CONTAINER_NAME_LABEL = 'com.amazonaws.ecs.container-name';
/** How long a daemon may take to answer the probe before it counts as absent. */
const PROBE_MS = 2000;
/** How often the health of a container with a health check is read. */
const HEALTH_POLL_MS = 250;
/** The longest wait for a container's output to reach the log once it has exited. */
const DRAIN_MS = 5000;
/** How many ephemeral host ports are tried before the start fails. */
const PORT_ATTEMPTS = 8;

let client: Docker | undefined;
/** The client for everything but the probe (no timeout: `wait` and `logs -f` last as long as the container). */
export function dockerClient(): Docker {
  client ??= new Docker();
  return client;
}

let probe: { at: number; answer: Promise<DaemonProbe> } | undefined;
export type DaemonProbe = { ok: true; version: string } | { ok: false; why: string };

/** Whether a Docker daemon answers (cached for 10 s, so a task of many containers asks once). */
export function probeDocker(): Promise<DaemonProbe> {
  if (probe && Date.now() - probe.at < 10_000) return probe.answer;
  const probing = new Docker({ timeout: PROBE_MS });
  const where = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const answer: Promise<DaemonProbe> = probing.version().then(
    (v) => ({ ok: true, version: `Docker ${v.Version} (API ${v.ApiVersion}) at ${where}` }),
    (err: unknown) => ({ ok: false, why: `no Docker daemon answered at ${where}: ${messageOf(err)}` }),
  );
  probe = { at: Date.now(), answer };
  return answer;
}

/** Docker's own words for an API error (dockerode puts the daemon's JSON body in `json`). */
export function messageOf(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const json = (err as { json?: { message?: unknown } }).json;
    if (json && typeof json.message === 'string') return json.message.trim();
    // docker-modem's own wrapping of a body it did not parse: `(HTTP code 500) server error - <message>`.
    if (err instanceof Error) return err.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  }
  return String(err).trim();
}

const statusOf = (err: unknown) => (err as { statusCode?: number } | null)?.statusCode;

/** `busybox` -> `busybox:latest`: a reference with no tag or digest means latest, to Docker and to ECS. */
export function imageReference(image: string): string {
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  return image.includes('@') || lastSegment.includes(':') ? image : `${image}:latest`;
}

export async function imagePresent(image: string): Promise<boolean> {
  try {
    await dockerClient().getImage(imageReference(image)).inspect();
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/** Pulls `image`; rejects with a CannotStartContainerError whose reason is ECS's CannotPullContainerError. */
export async function pullImage(image: string): Promise<void> {
  const docker = dockerClient();
  let failure: string | undefined;
  try {
    const stream = await docker.pull(imageReference(image));
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) =>
        err ? reject(err) : resolve(output),
      );
    });
    failure = events.find((e) => typeof e.error === 'string')?.error;
  } catch (err) {
    failure = `Error response from daemon: ${messageOf(err)}`;
  }
  if (failure !== undefined) throw new CannotStartContainerError(`${PULL_ERROR_NAME}: ${failure}`);
}

// ---- networks

const networks = new Map<string, Promise<void>>();

/** Creates the user-defined bridge network `name` unless it exists (once per process and name). */
function ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
  let made = networks.get(name);
  if (made === undefined) {
    const docker = dockerClient();
    made = docker
      .getNetwork(name)
      .inspect()
      .then(
        () => undefined,
        async (err: unknown) => {
          if (statusOf(err) !== 404) throw err;
          await docker
            .createNetwork({ Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: labels })
            .catch((created: unknown) => {
              if (statusOf(created) !== 409) throw created; // made meanwhile by another endpoint
            });
        },
      );
    made.catch(() => networks.delete(name));
    networks.set(name, made);
  }
  return made;
}

const clusterNetwork = (cluster: string) => `berth-${cluster}`;
const taskNetwork = (taskId: string) => `berth-task-${taskId}`;
const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);

/** After the task stopped: its awsvpc network goes (its containers are gone by then). */
export async function removeTaskNetwork(taskArn: string): Promise<void> {
  const name = taskNetwork(taskIdOf(taskArn));
  networks.delete(name);
  await dockerClient()
    .getNetwork(name)
    .remove()
    .catch(() => {
      // None was made (not awsvpc), or it is gone already.
    });
}

// ---- the container's configuration

const toNanos = (seconds: number) => Math.round(seconds * 1e9);

/** The Docker name, as the agent builds it: only letters, digits and hyphens of the container's name. */
export function dockerName(context: DockerContext, containerName: string, suffix: string): string {
  return `ecs-${context.family}-${context.revision}-${containerName.replace(/[^A-Za-z0-9-]+/g, '')}-${suffix}`;
}

export function cpuShares(cpu: number | undefined): number {
  return Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, cpu ?? 0));
}

/** The ports hostPort 0 asked for, each given `pick()`'s port. */
export interface PortPlan {
  exposed: Record<string, Record<string, never>>;
  bindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
  reported: NetworkBinding[];
}

export function portPlan(context: DockerContext, pick: (protocol: 'tcp' | 'udp') => number): PortPlan {
  const plan: PortPlan = { exposed: {}, bindings: {}, reported: [] };
  for (const mapping of context.definition.portMappings ?? []) {
    if (mapping.containerPort === undefined) continue;
    const protocol = mapping.protocol === 'udp' ? 'udp' : 'tcp';
    const key = `${mapping.containerPort}/${protocol}`;
    plan.exposed[key] = {};
    if (context.networkMode === 'host') {
      plan.reported.push({
        bindIP: '0.0.0.0',
        containerPort: mapping.containerPort,
        hostPort: mapping.containerPort,
        protocol,
      });
    } else if (context.networkMode === 'bridge') {
      const hostPort = mapping.hostPort ? mapping.hostPort : pick(protocol);
      plan.bindings[key] = [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }];
      plan.reported.push({ bindIP: '127.0.0.1', containerPort: mapping.containerPort, hostPort, protocol });
    }
  }
  return plan;
}

/** The create-container body for `spec` (see the module comment for what each field follows). */
export function containerConfig(
  spec: ContainerSpec,
  context: DockerContext,
  plan: PortPlan,
): Docker.ContainerCreateOptions {
  const d = context.definition;
  const memory = context.memory ?? (context.taskMemory !== undefined ? context.taskMemory : undefined);
  const hostConfig: Docker.HostConfig = {
    CpuShares: cpuShares(context.cpu),
    PortBindings: plan.bindings,
    NetworkMode:
      context.networkMode === 'bridge'
        ? clusterNetwork(context.cluster)
        : context.networkMode === 'awsvpc'
          ? taskNetwork(taskIdOf(spec.taskArn))
          : context.networkMode,
  };
  if (memory !== undefined && memory > 0) hostConfig.Memory = Math.max(MIN_MEMORY_BYTES, memory * 1024 * 1024);
  if (context.memoryReservation !== undefined) hostConfig.MemoryReservation = context.memoryReservation * 1024 * 1024;
  if (context.taskCpu !== undefined && context.taskCpu > 0) {
    const cpus = Math.min(context.taskCpu / 1024, os.availableParallelism());
    hostConfig.NanoCpus = Math.max(toNanos(0.01), toNanos(cpus));
  }
  if (d.ulimits?.length) {
    hostConfig.Ulimits = d.ulimits.map((u) => ({ Name: u.name ?? '', Soft: u.softLimit ?? 0, Hard: u.hardLimit ?? 0 }));
  }
  if (d.linuxParameters?.initProcessEnabled) hostConfig.Init = true;
  if (d.readonlyRootFilesystem) hostConfig.ReadonlyRootfs = true;
  if (d.privileged) hostConfig.Privileged = true;

  const labels: Record<string, string> = {
    ...(spec.dockerLabels ?? {}),
    [STATE_DIR_LABEL]: context.owner,
    [TASK_ARN_LABEL]: spec.taskArn,
    [CONTAINER_NAME_LABEL]: spec.containerName,
    'com.amazonaws.ecs.task-definition-family': context.family,
    'com.amazonaws.ecs.task-definition-version': String(context.revision),
    'com.amazonaws.ecs.cluster': context.cluster,
  };
  const config: Docker.ContainerCreateOptions = {
    Image: imageReference(spec.image),
    Env: Object.entries(spec.environment).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    ExposedPorts: plan.exposed,
    HostConfig: hostConfig,
  };
  if (spec.entryPoint !== undefined) config.Entrypoint = spec.entryPoint;
  if (spec.command !== undefined) config.Cmd = spec.command;
  if (spec.workingDirectory !== undefined) config.WorkingDir = spec.workingDirectory;
  if (d.user !== undefined) config.User = d.user;
  if (d.stopTimeout !== undefined) config.StopTimeout = d.stopTimeout;
  const check = d.healthCheck;
  if (check?.command?.length) {
    config.Healthcheck = {
      Test: check.command,
      Interval: toNanos(check.interval ?? 30),
      Timeout: toNanos(check.timeout ?? 5),
      Retries: check.retries ?? 3,
      StartPeriod: toNanos(check.startPeriod ?? 0),
    };
  }
  if (context.networkMode === 'bridge' || context.networkMode === 'awsvpc') {
    config.NetworkingConfig = {
      EndpointsConfig: { [hostConfig.NetworkMode as string]: { Aliases: [spec.containerName] } },
    };
  }
  return config;
}

// ---- start, watch, stop

const randomHex = () =>
  Math.floor(Math.random() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');

function startFailure(err: unknown): CannotStartContainerError {
  return new CannotStartContainerError(`${ERROR_NAME}: Error response from daemon: ${messageOf(err)}`, { cause: err });
}

const portTaken = (err: unknown) => /port is already allocated|address already in use/i.test(messageOf(err));

/** Starts the container; the image must be present (see runtime.ts, which pulls it first when it is not). */
export async function startDocker(spec: ContainerSpec): Promise<ContainerHandle> {
  const context = spec.docker;
  if (context === undefined) throw new RangeError(`container ${spec.containerName} has no docker context`);
  const docker = dockerClient();
  try {
    if (context.networkMode === 'bridge') {
      await ensureNetwork(clusterNetwork(context.cluster), { 'com.amazonaws.ecs.cluster': context.cluster });
    } else if (context.networkMode === 'awsvpc') {
      await ensureNetwork(taskNetwork(taskIdOf(spec.taskArn)), { [TASK_ARN_LABEL]: spec.taskArn });
    }
  } catch (err) {
    throw startFailure(err);
  }
  const taken = new Set(context.portsInUse?.() ?? []);
  const pick = (): number => {
    for (;;) {
      const port =
        EPHEMERAL_PORTS.first + Math.floor(Math.random() * (EPHEMERAL_PORTS.last - EPHEMERAL_PORTS.first + 1));
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  for (let attempt = 1; ; attempt++) {
    const plan = portPlan(context, pick);
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        name: dockerName(context, spec.containerName, randomHex()),
        ...containerConfig(spec, context, plan),
      });
    } catch (err) {
      throw startFailure(err);
    }
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => {});
      // Another program took an ephemeral port between the pick and the start: take another.
      if (portTaken(err) && attempt < PORT_ATTEMPTS && plan.reported.length > 0) continue;
      throw startFailure(err);
    }
    return watch(spec, container, plan.reported, undefined);
  }
}

/**
 * Follows the container's output into the log file (from `since`, epoch seconds, when given) and resolves once
 * the stream has ended and everything is written.
 */
async function followLogs(spec: ContainerSpec, container: Docker.Container, since: number | undefined): Promise<void> {
  await fs.mkdir(path.dirname(spec.logFile), { recursive: true });
  const out = createWriteStream(spec.logFile, { flags: 'a' });
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', reject);
  });
  await opened;
  const stream = (await container.logs({
    follow: true,
    stdout: true,
    stderr: true,
    ...(since !== undefined ? { since } : {}),
  })) as unknown as NodeJS.ReadableStream;
  const sink = new PassThrough();
  sink.pipe(out);
  dockerClient().modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
  sink.end();
  await new Promise<void>((resolve) => {
    out.once('finish', resolve);
    out.once('error', () => resolve());
  });
}

function healthOf(status: string | undefined): HealthStatus {
  return status === 'healthy' ? 'HEALTHY' : status === 'unhealthy' ? 'UNHEALTHY' : 'UNKNOWN';
}

function watch(
  spec: ContainerSpec,
  container: Docker.Container,
  networkBindings: NetworkBinding[],
  since: number | undefined,
): ContainerHandle {
  let exit: ContainerExit | undefined;
  const logs = followLogs(spec, container, since).catch((err: unknown) =>
    console.error(`[berth] could not follow the output of container ${spec.containerName}:`, err),
  );

  const health = spec.docker?.definition.healthCheck?.command?.length ? watchHealth(container) : undefined;

  const exited: Promise<ContainerExit> = (async () => {
    let exitCode: number | null = null;
    let reason: string | undefined;
    try {
      const waited = (await container.wait()) as { StatusCode?: number };
      exitCode = waited.StatusCode ?? null;
      const state = (await container.inspect()).State;
      if (state.OOMKilled) reason = OOM_REASON;
      if (exitCode === null) exitCode = state.ExitCode;
    } catch (err) {
      // Removed by someone else: its exit cannot be known.
      if (statusOf(err) !== 404) console.error(`[berth] watching container ${spec.containerName} failed:`, err);
    }
    health?.stop();
    await Promise.race([logs, new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
    await container.remove({ force: true }).catch(() => {});
    exit = reason === undefined ? { exitCode } : { exitCode, reason };
    return exit;
  })();

  const handle: ContainerHandle = {
    kind: 'docker',
    exited,
    networkBindings,
    stop(stopTimeoutSeconds: number): Promise<ContainerExit> {
      if (exit) return exited;
      if (!Number.isFinite(stopTimeoutSeconds) || stopTimeoutSeconds < 0) {
        return Promise.reject(new RangeError(`stopTimeoutSeconds must be a number >= 0, got ${stopTimeoutSeconds}`));
      }
      // Keeps Node alive until the container has exited, so the SIGKILL after the timeout is never skipped.
      const keepAlive = setInterval(() => {}, 1000);
      container.stop({ t: Math.ceil(stopTimeoutSeconds) }).catch((err: unknown) => {
        if (statusOf(err) !== 304 && statusOf(err) !== 404) {
          console.error(`[berth] docker stop of container ${spec.containerName} failed:`, err);
        }
      });
      return exited.finally(() => clearInterval(keepAlive));
    },
    async abandon(): Promise<void> {
      await container.remove({ force: true }).catch(() => {});
    },
  };
  if (health) handle.health = health;
  return handle;
}

function watchHealth(container: Docker.Container): ContainerHealth & { stop(): void } {
  let current: HealthStatus = 'UNKNOWN';
  const listeners: Array<(status: HealthStatus) => void> = [];
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    try {
      const status = healthOf((await container.inspect()).State.Health?.Status);
      if (status !== current) {
        current = status;
        for (const listener of listeners) listener(status);
      }
    } catch {
      // Gone: the exit ends the polling.
    }
    if (!stopped) setTimeout(() => void poll(), HEALTH_POLL_MS).unref();
  };
  void poll();
  return {
    get current() {
      return current;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    stop() {
      stopped = true;
    },
  };
}

// ---- after an endpoint restart

async function labelled(filters: string[]): Promise<Docker.ContainerInfo[]> {
  return dockerClient().listContainers({ all: true, filters: { label: filters } });
}

/**
 * After an endpoint restart: the Docker container of `spec` a previous endpoint process left, found by its labels;
 * running (watched again), exited (its code, and it is removed), or never created.
 */
export async function adoptDocker(spec: ContainerSpec, owner: string): Promise<AdoptedContainer> {
  const found = await labelled([
    `${STATE_DIR_LABEL}=${owner}`,
    `${TASK_ARN_LABEL}=${spec.taskArn}`,
    `${CONTAINER_NAME_LABEL}=${spec.containerName}`,
  ]);
  const info = found[0];
  if (info === undefined) return { state: 'not-started' };
  const container = dockerClient().getContainer(info.Id);
  const inspected = await container.inspect();
  if (inspected.State.Running) {
    const since = await fs.stat(spec.logFile).then(
      (s) => s.mtimeMs / 1000,
      () => undefined,
    );
    const bindings: NetworkBinding[] = [];
    for (const [key, hostBindings] of Object.entries(inspected.HostConfig.PortBindings ?? {})) {
      const [port, protocol] = key.split('/');
      for (const b of (hostBindings ?? []) as Array<{ HostIp: string; HostPort: string }>) {
        bindings.push({
          bindIP: b.HostIp,
          containerPort: Number(port),
          hostPort: Number(b.HostPort),
          protocol: protocol === 'udp' ? 'udp' : 'tcp',
        });
      }
    }
    return { state: 'running', handle: watch(spec, container, bindings, since) };
  }
  await container.remove({ force: true }).catch(() => {});
  if (inspected.State.Status === 'created') return { state: 'not-started' };
  const exit: ContainerExit = { exitCode: inspected.State.ExitCode };
  if (inspected.State.OOMKilled) exit.reason = OOM_REASON;
  return { state: 'exited', exit };
}

/**
 * Removes the containers a previous endpoint process on `owner` (its state dir) left whose task and container are
 * not in `keep` (`<taskArn>/<containerName>`); returns how many. A daemon that does not answer removes nothing.
 */
export async function sweepDockerOrphans(owner: string, keep: ReadonlySet<string>): Promise<number> {
  if (!(await probeDocker()).ok) return 0;
  let removed = 0;
  for (const info of await labelled([`${STATE_DIR_LABEL}=${owner}`])) {
    const key = `${info.Labels[TASK_ARN_LABEL]}/${info.Labels[CONTAINER_NAME_LABEL]}`;
    if (keep.has(key)) continue;
    await dockerClient()
      .getContainer(info.Id)
      .remove({ force: true })
      .then(() => removed++)
      .catch(() => {});
  }
  return removed;
}
