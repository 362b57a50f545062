/**
 * Where an execution that was RUNNING when its process died picks up, read from its history (pure: no I/O).
 * AWS never loses an execution's position; Berth's engine keeps it in memory, so the history, which records each
 * state entered with its input as it happens (models.ts, `ev/<executionArn>/<id>`), is where it is found again.
 * Event shapes: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 *
 * - The last top-level state entered and not exited runs again from its start, with the input it entered with:
 *   a Task is invoked again (Berth's workflow is built for that: its Lambdas are idempotent and RunTask passes a
 *   ClientToken, so a repeated RunTask returns the task already running and `.sync` waits for it), a Wait waits
 *   what is left of its time, a Pass, Choice, Succeed or Fail state does again what it did. The engine's own
 *   StateEntered for it is not recorded again (`replayed`).
 * - A state exited whose next state was not entered yet: its Next is entered with its output; one that ended
 *   the execution (End, Succeed) closes it SUCCEEDED with that output. A Choice's branch is not in the history:
 *   the Choice runs again on its input (it is pure), and its Entered and Exited events are not recorded again.
 * - No state entered yet: StartAt, with the execution's input.
 * - Cannot be resumed (the execution then fails, saying why): a position inside a Parallel or Map state (its
 *   branches' progress cannot be rebuilt), or a history whose recorded input or output is missing or not JSON.
 * Deviation from an uninterrupted run: a resumed Task's Retry counts start again, as its retriers live in
 * the engine's memory; the attempt cut short by the restart is not counted as one.
 */
import type { AslDefinition } from './engine';
import type { HistoryEvent } from './history';

export type ResumePoint =
  | {
      kind: 'state';
      state: string;
      input: unknown;
      /** Events of `state` that are in the history already and that the engine will dispatch again. */
      replayed: ReadonlyArray<'StateEntered' | 'StateExited'>;
      /** When the interrupted run of `state` began (epoch ms): a Wait's entry, a Task's last TaskScheduled. */
      since?: number;
    }
  | { kind: 'succeeded'; output: string }
  | { kind: 'unrecoverable'; reason: string };

interface StateEvent {
  event: HistoryEvent;
  name: string;
  entered: boolean;
  /** The input (Entered) or output (Exited), as JSON text. */
  data: string | undefined;
}

function stateEvent(event: HistoryEvent): StateEvent | undefined {
  const entered = event.stateEnteredEventDetails as { name?: string; input?: string } | undefined;
  if (entered?.name !== undefined) return { event, name: entered.name, entered: true, data: entered.input };
  const exited = event.stateExitedEventDetails as { name?: string; output?: string } | undefined;
  if (exited?.name !== undefined) return { event, name: exited.name, entered: false, data: exited.output };
  return undefined;
}

function parse(text: string | undefined, what: string): unknown {
  if (text === undefined) throw new Error(`the history does not hold the ${what}`);
  return JSON.parse(text);
}

/** Where the execution with `history` (oldest first) and `definition` resumes; `input` is its execution input. */
export function resumePoint(definition: AslDefinition, history: readonly HistoryEvent[], input: string): ResumePoint {
  const states = definition.States;
  const topLevel = (name: string) => Object.hasOwn(states, name);
  let last: StateEvent | undefined;
  let lastEntered: StateEvent | undefined;
  let scheduledAt: number | undefined;
  for (const event of history) {
    const found = stateEvent(event);
    if (found !== undefined && topLevel(found.name)) {
      last = found;
      if (found.entered) {
        lastEntered = found;
        scheduledAt = undefined;
      }
    } else if (event.type === 'TaskScheduled' && last?.entered) {
      scheduledAt = event.timestamp;
    }
  }
  try {
    if (last === undefined) {
      return { kind: 'state', state: definition.StartAt, input: parse(input, 'execution input'), replayed: [] };
    }
    const state = states[last.name]!;
    if (last.entered) {
      if (state.Type === 'Parallel' || state.Type === 'Map') {
        return {
          kind: 'unrecoverable',
          reason: `it was inside the ${state.Type} state '${last.name}', whose branches' progress cannot be rebuilt`,
        };
      }
      const since = state.Type === 'Wait' ? last.event.timestamp : state.Type === 'Task' ? scheduledAt : undefined;
      return {
        kind: 'state',
        state: last.name,
        input: parse(last.data, `input of state '${last.name}'`),
        replayed: ['StateEntered'],
        ...(since !== undefined ? { since } : {}),
      };
    }
    if (state.Type === 'Choice') {
      const entered = lastEntered?.name === last.name ? lastEntered : undefined;
      return {
        kind: 'state',
        state: last.name,
        input: parse(entered?.data, `input of state '${last.name}'`),
        replayed: ['StateEntered', 'StateExited'],
      };
    }
    if (state.End === true || state.Type === 'Succeed') {
      parse(last.data, `output of state '${last.name}'`);
      return { kind: 'succeeded', output: last.data! };
    }
    const next = state.Next;
    if (typeof next !== 'string' || !topLevel(next)) {
      return { kind: 'unrecoverable', reason: `state '${last.name}' has no next state to enter` };
    }
    return { kind: 'state', state: next, input: parse(last.data, `output of state '${last.name}'`), replayed: [] };
  } catch (err) {
    return { kind: 'unrecoverable', reason: (err as Error).message };
  }
}
