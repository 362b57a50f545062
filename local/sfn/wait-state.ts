/**
 * Wait states, run by Berth rather than by the engine so that their duration can be scaled
 * (BERTH_SFN_TIME_SCALE; see engine.ts). The duration is computed as AWS does from Seconds, Timestamp,
 * SecondsPath or TimestampPath (the paths are Reference Paths, read from the state's input after InputPath,
 * or from the context object with `$$.`), then multiplied by the time scale.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
 */
import type { AslState } from './engine';
import { sleep, TaskError } from './task-error';

/**
 * Reads a Reference Path (`$`, `$.a.b`, `$['a b'].c[0]`, `$$.Execution.Name`): AWS allows only these
 * simple forms where a single value is expected. Returns undefined when nothing is there.
 * https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html#amazon-states-language-reference-paths
 */
export function readReferencePath(path: string, input: unknown, context: unknown): unknown {
  let value: unknown;
  let rest: string;
  if (path.startsWith('$$')) {
    value = context;
    rest = path.slice(2);
  } else if (path.startsWith('$')) {
    value = input;
    rest = path.slice(1);
  } else {
    throw new TaskError('States.Runtime', `Invalid path '${path}': a path must start with '$'.`);
  }
  const segment = /^(?:\.([^.[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\])/;
  while (rest.length > 0) {
    const match = segment.exec(rest);
    if (!match) throw new TaskError('States.Runtime', `Invalid path '${path}': not a reference path.`);
    rest = rest.slice(match[0].length);
    if (value === null || typeof value !== 'object') return undefined;
    if (match[3] !== undefined) {
      if (!Array.isArray(value)) return undefined;
      value = value[Number(match[3])];
    } else {
      const key = match[1] ?? match[2]!.replace(/\\(.)/g, '$1');
      value = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  return value;
}

function runtime(message: string): TaskError {
  return new TaskError('States.Runtime', message);
}

/** How long, in ms and unscaled, the Wait `state` waits given its effective input, `now` being the clock. */
export function waitMilliseconds(state: AslState, input: unknown, context: unknown, now: number): number {
  if (typeof state.Seconds === 'number') return state.Seconds * 1000;
  if (typeof state.Timestamp === 'string') return Math.max(0, Date.parse(state.Timestamp) - now);
  if (typeof state.SecondsPath === 'string') {
    const seconds = readReferencePath(state.SecondsPath, input, context);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw runtime(
        `The SecondsPath parameter does not reference a valid non-negative integer: '${state.SecondsPath}' is ${JSON.stringify(seconds) ?? 'undefined'}.`,
      );
    }
    return seconds * 1000;
  }
  if (typeof state.TimestampPath === 'string') {
    const timestamp = readReferencePath(state.TimestampPath, input, context);
    const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(at)) {
      throw runtime(
        `The TimestampPath parameter does not reference a valid ISO-8601 timestamp: '${state.TimestampPath}' is ${JSON.stringify(timestamp) ?? 'undefined'}.`,
      );
    }
    return Math.max(0, at - now);
  }
  return 0;
}

/**
 * Waits as the Wait `state` says, scaled; returns its input (a Wait state passes its input on). `since` (epoch ms)
 * is when a wait that a restart interrupted began: only what is left of it is waited.
 */
export async function runWaitState(
  state: AslState,
  input: unknown,
  context: unknown,
  timeScale: number,
  signal: AbortSignal,
  since?: number,
): Promise<unknown> {
  const now = Date.now();
  const began = since ?? now;
  const ms = waitMilliseconds(state, input, context, began) * timeScale - (now - began);
  if (ms > 0) await sleep(ms, signal);
  return input;
}
