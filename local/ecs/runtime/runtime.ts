/**
 * The container runtimes of the local ECS emulator: what stands in for Docker on a container instance.
 * The task lifecycle calls startContainer for each container of a task, and stop() on the handles to stop them
 * (StopTask, an essential container exiting), following Docker's start and stop semantics as the ECS agent drives
 * them (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout).
 *
 * - `process` (process-runtime.ts): the container's entryPoint + command, run on the host.
 * - `simulate` (simulate-runtime.ts): an image with nothing to run here; logs that it simulated, exits 0.
 * chooseRuntime picks one; the `berth.runtime` label forces it, and labels or variables steer a simulated
 * container (steering.ts). A container that cannot start makes startContainer reject with a
 * CannotStartContainerError whose `reason` reads as ECS's (errors.ts). After an emulator restart, adoptContainer
 * finds the containers the previous emulator process left running (a process container through its wrapper's
 * pid and status files, a simulated one by continuing its simulation), and killOrphan takes down process
 * containers whose task cannot go on.
 *
 * No ECS state here: no task or cluster bookkeeping, just containers.
 */
import { adoptProcess, startProcess } from './process-runtime';
import { adoptSimulated, startSimulated } from './simulate-runtime';
import { chooseRuntime, MAX_SIMULATE_SECONDS } from './steering';
import type { AdoptedContainer, ContainerExit, ContainerHandle, ContainerSpec, RuntimeOptions } from './types';

export { CannotStartContainerError, MAX_REASON_LENGTH } from './errors';
export { CONTAINER_MARKER, killOrphan } from './process-runtime';
export { chooseRuntime, MAX_SIMULATE_SECONDS, RUNTIME_LABEL, SIMULATE_KNOBS } from './steering';
export type {
  AdoptedContainer,
  ContainerExit,
  ContainerHandle,
  ContainerSpec,
  RuntimeKind,
  RuntimeOptions,
} from './types';

/** How long a simulated container runs when nothing steers it. */
export const DEFAULT_SIMULATE_SECONDS = 0.2;

/**
 * Starts one container; resolves once it runs. Rejects with CannotStartContainerError when it cannot start
 * (an executable that cannot be found or run, a bad `berth.*` label or variable, a simulated failure), and with
 * a RangeError when `options` are wrong (a bug in the caller, not the container's fault).
 */
export async function startContainer(spec: ContainerSpec, options: RuntimeOptions): Promise<ContainerHandle> {
  const { simulateSeconds } = options;
  if (!Number.isFinite(simulateSeconds) || simulateSeconds < 0 || simulateSeconds > MAX_SIMULATE_SECONDS) {
    throw new RangeError(`simulateSeconds must be from 0 to ${MAX_SIMULATE_SECONDS}, got ${simulateSeconds}`);
  }
  return chooseRuntime(spec) === 'process' ? startProcess(spec) : startSimulated(spec, simulateSeconds);
}

/** A handle on a container that has already exited with `exit` (one found ended after a restart). */
export function exitedContainer(spec: ContainerSpec, exit: ContainerExit): ContainerHandle {
  const exited = Promise.resolve(exit);
  return { kind: chooseRuntime(spec), exited, stop: () => exited };
}

/**
 * After an emulator restart: the container `spec` as a previous emulator process left it. `previous.pid` is a
 * process container's pid from the task's record, if it got there; `previous.startedAt` (epoch ms) is when a
 * simulated container started, undefined when it is not known to have started.
 */
export async function adoptContainer(
  spec: ContainerSpec,
  options: RuntimeOptions,
  previous: { pid?: number; startedAt?: number },
): Promise<AdoptedContainer> {
  if (chooseRuntime(spec) === 'process') return adoptProcess(spec, previous.pid);
  if (previous.startedAt === undefined) return { state: 'not-started' };
  return { state: 'running', handle: await adoptSimulated(spec, options.simulateSeconds, previous.startedAt) };
}
