/**
 * The container runtimes of the local ECS emulator: what stands in for Docker on a container instance.
 * The task lifecycle calls startContainer for each container of a task, and stop() on the handles to stop them
 * (StopTask, an essential container exiting), following Docker's start and stop semantics as the ECS agent drives
 * them (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout).
 *
 * - `docker` (docker-runtime.ts): the container's image, run by the Docker daemon as the ECS agent runs it.
 * - `process` (process-runtime.ts): the container's entryPoint + command, run on the host.
 * - `simulate` (simulate-runtime.ts): an image with nothing to run here; logs that it simulated, exits 0.
 * resolveRuntime picks one from BERTH_ECS_RUNTIME (RuntimeOptions.runtime): `docker`, `process` or `simulate` for
 * every container, or `auto` (the default): Docker when a daemon answers and the image is present or can be
 * pulled, else what chooseRuntime picks without Docker (process for a container with a command, simulate for one
 * with only an image). The `berth.runtime` label forces one per container, and labels or variables steer a
 * simulated container (steering.ts). startContainer notes in the log which runtime runs the container and why. A container that cannot start makes startContainer reject with a
 * CannotStartContainerError whose `reason` reads as ECS's (errors.ts). After an emulator restart, adoptContainer
 * finds the containers the previous emulator process left running (a process container through its wrapper's
 * pid and status files, a simulated one by continuing its simulation), and killOrphan takes down process
 * containers whose task cannot go on.
 *
 * No ECS state here: no task or cluster bookkeeping, just containers.
 */
import { adoptDocker, imagePresent, probeDocker, pullImage, startDocker } from './docker-runtime';
import { CannotStartContainerError } from './errors';
import { appendLogLine } from './log';
import { adoptProcess, startProcess } from './process-runtime';
import { adoptSimulated, startSimulated } from './simulate-runtime';
import { chooseRuntime, forcedRuntime, MAX_SIMULATE_SECONDS, RUNTIME_LABEL } from './steering';
import type {
  AdoptedContainer,
  ContainerExit,
  ContainerHandle,
  ContainerSpec,
  RuntimeChoice,
  RuntimeKind,
  RuntimeOptions,
} from './types';

export { OOM_REASON, probeDocker, removeTaskNetwork, sweepDockerOrphans } from './docker-runtime';
export { CannotStartContainerError, MAX_REASON_LENGTH } from './errors';
export { CONTAINER_MARKER, killOrphan } from './process-runtime';
export { chooseRuntime, MAX_SIMULATE_SECONDS, RUNTIME_LABEL, SIMULATE_KNOBS } from './steering';
export type {
  AdoptedContainer,
  ContainerExit,
  ContainerHandle,
  ContainerHealth,
  ContainerSpec,
  DockerContext,
  HealthStatus,
  NetworkBinding,
  RuntimeChoice,
  RuntimeKind,
  RuntimeOptions,
  RuntimeSetting,
} from './types';

/** How long a simulated container runs when nothing steers it. */
export const DEFAULT_SIMULATE_SECONDS = 0.2;

/**
 * Starts one container; resolves once it runs. Rejects with CannotStartContainerError when it cannot start
 * (an executable that cannot be found or run, a bad `berth.*` label or variable, a simulated failure), and with
 * a RangeError when `options` are wrong (a bug in the caller, not the container's fault).
 */
export async function startContainer(
  spec: ContainerSpec,
  options: RuntimeOptions,
  choice?: RuntimeChoice,
): Promise<ContainerHandle> {
  const { simulateSeconds } = options;
  if (!Number.isFinite(simulateSeconds) || simulateSeconds < 0 || simulateSeconds > MAX_SIMULATE_SECONDS) {
    throw new RangeError(`simulateSeconds must be from 0 to ${MAX_SIMULATE_SECONDS}, got ${simulateSeconds}`);
  }
  const chosen = choice ?? { kind: chooseRuntime(spec), why: '' };
  if (chosen.error) throw chosen.error;
  if (chosen.kind === 'simulate') return startSimulated(spec, simulateSeconds, chosen.dockerWhy);
  if (chosen.why)
    await runtimeNote(spec, `[berth] container ${spec.containerName} runs in ${chosen.kind}: ${chosen.why}`);
  return chosen.kind === 'docker' ? startDocker(spec) : startProcess(spec);
}

function runtimeNote(spec: ContainerSpec, line: string): Promise<void> {
  const note = spec.runtimeNote ?? spec.note;
  return note ? note(line) : appendLogLine(spec.logFile, line);
}

/** Images that could not be pulled lately, so `auto` does not ask the registry again for every task. */
const unpullable = new Map<string, { at: number; reason: string }>();
const UNPULLABLE_MS = 30_000;

/**
 * Picks the runtime of a container (see the module comment), pulling its image when Docker is to run it and it
 * is not present. Never rejects for the container's sake: a container that cannot start gets a choice with an
 * `error` (a bad `berth.runtime` label; with `docker`, no daemon or an image that cannot be pulled, which fails
 * the task as ECS would, with CannotPullContainerError).
 */
export async function resolveRuntime(spec: ContainerSpec, options: RuntimeOptions): Promise<RuntimeChoice> {
  let forced: RuntimeKind | undefined;
  try {
    forced = forcedRuntime(spec);
  } catch (err) {
    return { kind: 'simulate', why: '', error: err as Error };
  }
  const setting = forced ?? options.runtime ?? 'auto';
  const source = forced !== undefined ? `docker label ${RUNTIME_LABEL}=${forced}` : `BERTH_ECS_RUNTIME=${setting}`;
  if (setting === 'process' || setting === 'simulate') return { kind: setting, why: source };
  const without: RuntimeKind = chooseRuntime({ ...spec, dockerLabels: {} });
  const withoutWhy = without === 'process' ? 'it has a command to run on the host' : 'only an image to run';

  if (setting === 'docker' && spec.docker === undefined) {
    return { kind: 'docker', why: source, error: new CannotStartContainerError(`${source}: no Docker context`) };
  }
  if (spec.docker === undefined) return { kind: without, why: `${source}: ${withoutWhy}` };
  const daemon = await probeDocker();
  if (!daemon.ok) {
    if (setting === 'docker') {
      return {
        kind: 'docker',
        why: source,
        error: new CannotStartContainerError(`CannotStartContainerError: ${source}, but ${daemon.why}`),
      };
    }
    return { kind: without, why: `${source}: ${daemon.why}; ${withoutWhy}` };
  }
  try {
    if (await imagePresent(spec.image)) return { kind: 'docker', why: `${source}: image ${spec.image} is present` };
  } catch (err) {
    const reason = `CannotStartContainerError: ${(err as Error).message}`;
    if (setting === 'docker') return { kind: 'docker', why: source, error: new CannotStartContainerError(reason) };
    return { kind: without, why: `${source}: ${reason}; ${withoutWhy}` };
  }
  const known = unpullable.get(spec.image);
  if (setting === 'auto' && known && Date.now() - known.at < UNPULLABLE_MS) {
    return fallback(spec, without, source, withoutWhy, known.reason);
  }
  try {
    await pullImage(spec.image);
    unpullable.delete(spec.image);
    return { kind: 'docker', why: `${source}: image ${spec.image} pulled` };
  } catch (err) {
    const reason = err instanceof CannotStartContainerError ? err.reason : String(err);
    if (setting === 'docker') return { kind: 'docker', why: source, error: err as Error };
    unpullable.set(spec.image, { at: Date.now(), reason });
    return fallback(spec, without, source, withoutWhy, reason);
  }
}

function fallback(
  spec: ContainerSpec,
  without: RuntimeKind,
  source: string,
  withoutWhy: string,
  reason: string,
): RuntimeChoice {
  const dockerWhy = `Docker answered, but image ${spec.image} is not present and could not be pulled: ${reason}`;
  return { kind: without, why: `${source}: ${dockerWhy}; ${withoutWhy}`, dockerWhy };
}

/** A handle on a container that has already exited with `exit` (one found ended after a restart). */
export function exitedContainer(spec: ContainerSpec, exit: ContainerExit, kind?: RuntimeKind): ContainerHandle {
  const exited = Promise.resolve(exit);
  return { kind: kind ?? chooseRuntime(spec), exited, stop: () => exited };
}

/**
 * After an emulator restart: the container `spec` as a previous emulator process left it. `previous.pid` is a
 * process container's pid from the task's record, if it got there; `previous.startedAt` (epoch ms) is when a
 * simulated container started, undefined when it is not known to have started.
 */
export async function adoptContainer(
  spec: ContainerSpec,
  options: RuntimeOptions,
  previous: { pid?: number; startedAt?: number; kind?: RuntimeKind },
): Promise<AdoptedContainer> {
  const kind = previous.kind ?? (spec.dockerLabels?.[RUNTIME_LABEL]?.trim() === 'docker' ? 'docker' : undefined);
  if (spec.docker !== undefined && (kind === 'docker' || (await probeDocker()).ok)) {
    // A container found in Docker is adopted whatever the record says (the record may not have got its runtime).
    const found = await adoptDocker(spec, spec.docker.owner).catch(() => undefined);
    if (found !== undefined && found.state !== 'not-started') return found;
    if (kind === 'docker') return found ?? { state: 'unknown' };
  }
  if (chooseRuntime(spec) === 'process') return adoptProcess(spec, previous.pid);
  if (previous.startedAt === undefined) return { state: 'not-started' };
  return { state: 'running', handle: await adoptSimulated(spec, options.simulateSeconds, previous.startedAt) };
}
