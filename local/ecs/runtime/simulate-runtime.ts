/**
 * The `simulate` runtime: for a container with nothing to run on this host (an image and no entryPoint or
 * command, such as `{"name": "anjana", "image": "someimage"}`), or one forced by `berth.runtime=simulate`.
 * It notes in the log that it simulated (naming the image; `spec.note`, by default a line appended to the log
 * file), runs for a while, and exits 0.
 *
 * Steering (labels win over variables, knob by knob; see steering.ts for the rules):
 * - `berth.simulate.exit-code` / `BERTH_SIMULATE_EXIT_CODE` (e.g. `3`): the exit code, 0..255; default 0.
 * - `berth.simulate.seconds` / `BERTH_SIMULATE_SECONDS` (e.g. `0.05`, or `600` for a long-running container):
 *   the run time; default RuntimeOptions.simulateSeconds.
 * - `berth.simulate.fail-to-start` / `BERTH_SIMULATE_FAIL_TO_START` (a reason): startContainer rejects with a
 *   CannotStartContainerError carrying it, prefixed `CannotStartContainerError: ` unless it already starts with
 *   an ECS error name (so `CannotPullContainerError: ...` can be simulated too). Nothing is logged.
 * An invalid value makes startContainer reject with a CannotStartContainerError saying which knob and why.
 *
 * stop(t) (`docker stop -t t`, https://docs.docker.com/engine/reference/commandline/stop/): a simulated image
 * is taken to exit on SIGTERM, so it ends at once and Docker reports 128 + 15 = 143; `t` is never spent. A choice:
 * in Docker a PID 1 with no SIGTERM handler ignores the signal and is SIGKILLed after `t` (137, moby/moby#12228),
 * but a simulated container has no program whose handlers could be known, and waiting out ECS's default 30 s
 * stopTimeout on every local StopTask would only slow tests down. The stop is logged, and `exited` resolves once
 * that line is in the log.
 * Its timer does not keep Node alive.
 *
 * After an emulator restart (adoptSimulated) the simulation continues: nothing of a simulated container died with
 * the emulator, so it runs what is left of its time from when it started (the task's startedAt), notes that it
 * resumed, and exits as steered then; one whose time ran out while no emulator ran exits at once, as it would
 * have. (A process container is adopted instead, see process-runtime.ts.)
 */
import { CannotStartContainerError } from './errors';
import { appendLogLine } from './log';
import { containerArgv, RUNTIME_LABEL, simulateSteering } from './steering';
import type { ContainerExit, ContainerHandle, ContainerSpec } from './types';

/** The exit code of a container that ended on SIGTERM: 128 + 15. */
const SIGTERM_EXIT_CODE = 143;

/** `dockerWhy`: why Docker does not run it, when Docker was considered (runtime.ts resolveRuntime). */
export async function startSimulated(
  spec: ContainerSpec,
  defaultSeconds: number,
  dockerWhy?: string,
): Promise<ContainerHandle> {
  const steering = simulateSteering(spec.dockerLabels, spec.environment);
  if (steering.failToStart !== undefined) throw new CannotStartContainerError(steering.failToStart);
  const seconds = steering.seconds ?? defaultSeconds;
  const why =
    (containerArgv(spec).length > 0
      ? `docker label ${RUNTIME_LABEL}=simulate`
      : 'no entryPoint or command to run here') + (dockerWhy === undefined ? '' : ` (${dockerWhy})`);
  const note = spec.note ?? ((line: string) => appendLogLine(spec.logFile, line));
  await note(
    `[berth] simulated container ${spec.containerName} (image ${spec.image}): ${why}; ` +
      `exits with code ${steering.exitCode} after ${seconds} s`,
  );

  return simulatedHandle(spec, note, steering.exitCode, seconds * 1000);
}

/**
 * After an emulator restart: the simulated container `spec`, started at `startedAt` (epoch ms), goes on for what is
 * left of its time (see the module comment).
 */
export async function adoptSimulated(
  spec: ContainerSpec,
  defaultSeconds: number,
  startedAt: number,
): Promise<ContainerHandle> {
  const steering = simulateSteering(spec.dockerLabels, spec.environment);
  const seconds = steering.seconds ?? defaultSeconds;
  const left = Math.max(0, startedAt + seconds * 1000 - Date.now());
  const note = spec.note ?? ((line: string) => appendLogLine(spec.logFile, line));
  await note(
    `[berth] simulated container ${spec.containerName} resumed after an endpoint restart: ` +
      `exits with code ${steering.exitCode} after ${(left / 1000).toFixed(3)} s more`,
  ).catch(() => {
    // The simulation goes on even if the log cannot take the line.
  });
  return simulatedHandle(spec, note, steering.exitCode, left);
}

function simulatedHandle(
  spec: ContainerSpec,
  note: (line: string) => Promise<void>,
  exitCode: number,
  ms: number,
): ContainerHandle {
  // Set once, in the turn the container ends (its time is up, or stop() was called); `exited` may follow later.
  let exit: ContainerExit | undefined;
  let resolveExited!: (exit: ContainerExit) => void;
  const exited = new Promise<ContainerExit>((resolve) => {
    resolveExited = resolve;
  });
  const timer = setTimeout(() => {
    exit = { exitCode };
    resolveExited(exit);
  }, ms);
  timer.unref();

  return {
    kind: 'simulate',
    exited,
    stop(stopTimeoutSeconds: number): Promise<ContainerExit> {
      if (exit) return exited;
      if (!Number.isFinite(stopTimeoutSeconds) || stopTimeoutSeconds < 0) {
        return Promise.reject(new RangeError(`stopTimeoutSeconds must be a number >= 0, got ${stopTimeoutSeconds}`));
      }
      clearTimeout(timer);
      const stopped = { exitCode: SIGTERM_EXIT_CODE };
      exit = stopped;
      note(`[berth] simulated container ${spec.containerName} stopped (SIGTERM): exit code ${SIGTERM_EXIT_CODE}`)
        .catch(() => {
          // The exit stands even if the log cannot take the line.
        })
        .finally(() => resolveExited(stopped));
      return exited;
    },
  };
}
