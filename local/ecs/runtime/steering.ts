/**
 * How a task definition (or a run's overrides) steers the emulator's runtimes. Pure: no I/O.
 *
 * | docker label                   | environment variable            | value                                      |
 * |--------------------------------|---------------------------------|--------------------------------------------|
 * | `berth.runtime`                | (none)                          | `process` or `simulate`: forces the runtime |
 * | `berth.simulate.exit-code`     | `BERTH_SIMULATE_EXIT_CODE`      | integer 0..255 (default 0)                 |
 * | `berth.simulate.seconds`       | `BERTH_SIMULATE_SECONDS`        | decimal seconds, e.g. `0.05` or `600`      |
 * | `berth.simulate.fail-to-start` | `BERTH_SIMULATE_FAIL_TO_START`  | a reason: the container does not start     |
 *
 * The `berth.simulate.*` knobs apply to simulated containers only; to a process container they are ordinary
 * labels and variables. Each knob is read on its own: the label wins over the variable. A label or variable whose
 * value is empty (or blank) counts as unset. An invalid value does not crash anything: the container fails to
 * start with a CannotStartContainerError naming every bad knob and what it expected.
 */
import { berthReason, CannotStartContainerError, givenReason } from './errors';
import type { ContainerSpec, RuntimeKind } from './types';

export const RUNTIME_LABEL = 'berth.runtime';

export const SIMULATE_KNOBS = {
  exitCode: { label: 'berth.simulate.exit-code', variable: 'BERTH_SIMULATE_EXIT_CODE' },
  seconds: { label: 'berth.simulate.seconds', variable: 'BERTH_SIMULATE_SECONDS' },
  failToStart: { label: 'berth.simulate.fail-to-start', variable: 'BERTH_SIMULATE_FAIL_TO_START' },
} as const;

/** The longest wait a Node timer can hold (2^31 - 1 ms), in whole seconds: about 24.8 days. */
export const MAX_SIMULATE_SECONDS = 2_147_483;

export interface SimulateSteering {
  exitCode: number;
  /** Unset: the emulator's default (RuntimeOptions.simulateSeconds). */
  seconds?: number;
  /** Set: the container fails to start with this reason (ECS style, `CannotStartContainerError: ...`). */
  failToStart?: string;
}

type Knob = (typeof SIMULATE_KNOBS)[keyof typeof SIMULATE_KNOBS];

interface Setting {
  value: string;
  /** Where it came from, for error messages: `docker label berth.simulate.seconds`. */
  source: string;
}

function read(knob: Knob, labels: Record<string, string>, environment: Record<string, string>): Setting | undefined {
  const label = labels[knob.label]?.trim();
  if (label) return { value: label, source: `docker label ${knob.label}` };
  const variable = environment[knob.variable]?.trim();
  if (variable) return { value: variable, source: `environment variable ${knob.variable}` };
  return undefined;
}

const INTEGER = /^\d+$/;
const DECIMAL = /^(\d+(\.\d*)?|\.\d+)$/;

/** Reads the simulate knobs of a container; throws CannotStartContainerError listing every invalid one. */
export function simulateSteering(
  labels: Record<string, string> = {},
  environment: Record<string, string> = {},
): SimulateSteering {
  const problems: string[] = [];
  const steering: SimulateSteering = { exitCode: 0 };

  const exitCode = read(SIMULATE_KNOBS.exitCode, labels, environment);
  if (exitCode) {
    const n = Number(exitCode.value);
    if (INTEGER.test(exitCode.value) && n <= 255) steering.exitCode = n;
    else
      problems.push(`invalid ${exitCode.source} ${JSON.stringify(exitCode.value)}: expected an integer from 0 to 255`);
  }

  const seconds = read(SIMULATE_KNOBS.seconds, labels, environment);
  if (seconds) {
    const n = Number(seconds.value);
    if (DECIMAL.test(seconds.value) && n <= MAX_SIMULATE_SECONDS) steering.seconds = n;
    else {
      problems.push(
        `invalid ${seconds.source} ${JSON.stringify(seconds.value)}: expected a number of seconds from 0 to ${MAX_SIMULATE_SECONDS}`,
      );
    }
  }

  const failToStart = read(SIMULATE_KNOBS.failToStart, labels, environment);
  if (failToStart) steering.failToStart = givenReason(failToStart.value);

  if (problems.length > 0) throw new CannotStartContainerError(berthReason(problems));
  return steering;
}

/** argv as Docker builds it for an image with no entrypoint of its own: entryPoint + command, or command alone. */
export function containerArgv(spec: Pick<ContainerSpec, 'entryPoint' | 'command'>): string[] {
  return [...(spec.entryPoint ?? []), ...(spec.command ?? [])];
}

/** The runtime the `berth.runtime` label forces, if any; throws CannotStartContainerError for a bad value. */
export function forcedRuntime(spec: Pick<ContainerSpec, 'dockerLabels'>): RuntimeKind | undefined {
  const forced = spec.dockerLabels?.[RUNTIME_LABEL]?.trim();
  if (forced === 'docker' || forced === 'process' || forced === 'simulate') return forced;
  if (forced) {
    throw new CannotStartContainerError(
      berthReason([
        `invalid docker label ${RUNTIME_LABEL} ${JSON.stringify(forced)}: expected docker, process or simulate`,
      ]),
    );
  }
  return undefined;
}

/**
 * What runs a container when Docker does not: `process` for a container with something to run (a non-empty
 * entryPoint + command), `simulate` otherwise, unless the `berth.runtime` label forces one (docker included).
 * Throws CannotStartContainerError for any other label value.
 */
export function chooseRuntime(spec: Pick<ContainerSpec, 'entryPoint' | 'command' | 'dockerLabels'>): RuntimeKind {
  return forcedRuntime(spec) ?? (containerArgv(spec).length > 0 ? 'process' : 'simulate');
}
