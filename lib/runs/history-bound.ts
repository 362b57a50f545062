/**
 * The run-task workflow's execution history stays below Step Functions' limit. A Standard execution fails when its
 * history reaches 25,000 events (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Maximum
 * execution history size"), and the capacity loop (Check Capacity -> Is There Room -> Wait For Capacity) adds events
 * on every check: a run that waits 604,800 s checking every second would fail long before its budget is spent.
 *
 * A run's worst case is computed from the attempts and the capacity settings, and POST /runs (and a trigger file)
 * refuses a run whose worst case reaches the limit, naming the fields to change, rather than quietly checking less
 * often than asked. The worst case per piece of the workflow (RUN_TASK_HISTORY_COSTS) is derived from the ASL by
 * historyCostsFromAsl below: test/unit/runs/history-bound.test.ts derives it from workflows/run-task.asl.yaml and
 * fails when the constants here drift from the state machine, so the bound is the state machine's own.
 *
 * Events per state, as GetExecutionHistory lists them (HistoryEvent types,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 * - a Task: TaskStateEntered and TaskStateExited, and per try TaskScheduled, TaskStarted and TaskSucceeded or
 *   TaskFailed (or TaskTimedOut), with TaskSubmitted too for a `.sync` or `.waitForTaskToken` integration; the tries
 *   are 1 plus every retrier's MaxAttempts (default 3), since each retrier counts its own attempts;
 * - a Choice, Wait, Pass or Succeed state: its Entered and Exited events; a Fail state: FailStateEntered;
 * - the execution: ExecutionStarted and its closing event (ExecutionSucceeded, ExecutionFailed, ...).
 */

import { States } from './workflow';

/** "Maximum execution history size": 25,000 events; the 25,000th event fails the execution. */
export const HISTORY_EVENT_LIMIT = 25_000;

/** The run-task workflow's states that bound its loops (workflows/run-task.asl.yaml). */
export const LOOP_STATES = {
  check: States.CheckCapacity,
  capacityWait: States.WaitForCapacity,
  backOff: States.BackOff,
} as const;

export interface HistoryCosts {
  /** ExecutionStarted and the closing event. */
  execution: number;
  /** The costliest way from the start to Check Capacity (its own events not counted): waiting for a queue slot. */
  admission: number;
  /** The costliest way from Check Capacity round to it again through Wait For Capacity: one capacity check that waits. */
  capacityLoop: number;
  /** The costliest way from Check Capacity round to it again through Back Off: an attempt that fails and is retried. */
  retryLoop: number;
  /** The costliest way from Check Capacity to the end of the execution. */
  finish: number;
}

/** The worst case of workflows/run-task.asl.yaml, as historyCostsFromAsl derives it (pinned by the unit test). */
export const RUN_TASK_HISTORY_COSTS: HistoryCosts = {
  execution: 2,
  admission: 68,
  capacityLoop: 80,
  retryLoop: 132,
  finish: 131,
};

export interface HistorySettings {
  attempts: number;
  waitSeconds: number;
  checkIntervalSeconds: number;
}

/**
 * The most capacity checks one attempt can make: the budget is counted in Wait For Capacity intervals
 * (lib/runs/workflow.ts decideCapacity), checks after waiting 0, i, 2i, ... seconds, and the check that finds
 * the budget spent (waited >= waitSeconds) gives up.
 */
export function checksPerAttempt(waitSeconds: number, checkIntervalSeconds: number): number {
  return Math.ceil(waitSeconds / checkIntervalSeconds) + 1;
}

/** The most history events a run with these settings can produce. */
export function worstCaseHistoryEvents(
  settings: HistorySettings,
  costs: HistoryCosts = RUN_TASK_HISTORY_COSTS,
): number {
  const checks = checksPerAttempt(settings.waitSeconds, settings.checkIntervalSeconds);
  return (
    costs.execution +
    costs.admission +
    settings.attempts * (checks - 1) * costs.capacityLoop +
    (settings.attempts - 1) * costs.retryLoop +
    costs.finish
  );
}

/**
 * The shortest check interval that keeps a run with these attempts and this budget below the limit, or undefined
 * when none does (the attempts alone, with one check each, would reach it).
 */
export function minimumCheckInterval(
  attempts: number,
  waitSeconds: number,
  costs: HistoryCosts = RUN_TASK_HISTORY_COSTS,
): number | undefined {
  if (waitSeconds === 0) return 1;
  const fixed = costs.execution + costs.admission + (attempts - 1) * costs.retryLoop + costs.finish;
  // Capacity loops allowed per attempt (each attempt may make checks - 1 of them), staying below the limit.
  const loops = Math.floor((HISTORY_EVENT_LIMIT - 1 - fixed) / (attempts * costs.capacityLoop));
  if (loops < 1) return undefined;
  return Math.ceil(waitSeconds / loops);
}

/** Why a run with these settings would outgrow its execution history, or undefined when it cannot. */
export function historyBoundViolation(settings: HistorySettings): { path: string; message: string } | undefined {
  const events = worstCaseHistoryEvents(settings);
  if (events < HISTORY_EVENT_LIMIT) return undefined;
  const { attempts, waitSeconds, checkIntervalSeconds } = settings;
  const minimum = minimumCheckInterval(attempts, waitSeconds);
  const advice =
    minimum === undefined
      ? 'use fewer retry.attempts or a shorter capacity.waitSeconds'
      : `use a capacity.checkIntervalSeconds of at least ${minimum}, a shorter capacity.waitSeconds, or fewer retry.attempts`;
  return {
    path: '$.capacity',
    message:
      `With retry.attempts ${attempts}, capacity.waitSeconds ${waitSeconds} and capacity.checkIntervalSeconds ` +
      `${checkIntervalSeconds}, a run could record ${events} Step Functions history events, and an execution fails ` +
      `at ${HISTORY_EVENT_LIMIT}: ${advice}.`,
  };
}

// ---------------------------------------------------------------------------------------------
// Deriving the costs from a state machine definition (Amazon States Language, JSONPath).
// ---------------------------------------------------------------------------------------------

interface AslRetrier {
  MaxAttempts?: number;
}

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: AslRetrier[];
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

/** The default of a retrier's MaxAttempts (https://states-language.net/#retrying-after-error). */
const DEFAULT_MAX_ATTEMPTS = 3;

/** The most history events one pass through a state can add. */
export function stateHistoryEvents(name: string, state: AslState): number {
  switch (state.Type) {
    case 'Task': {
      const tries = 1 + (state.Retry ?? []).reduce((sum, r) => sum + (r.MaxAttempts ?? DEFAULT_MAX_ATTEMPTS), 0);
      const waits = /\.(sync(:\d+)?|waitForTaskToken)$/.test(state.Resource ?? '');
      return 2 + tries * (waits ? 4 : 3);
    }
    case 'Choice':
    case 'Wait':
    case 'Pass':
    case 'Succeed':
      return 2;
    case 'Fail':
      return 1;
    default:
      throw new Error(`State "${name}": the history bound does not model ${state.Type} states.`);
  }
}

function successors(state: AslState): string[] {
  const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)];
  next.push(...(state.Catch ?? []).map((c) => c.Next));
  return [...new Set(next.filter((n): n is string => n !== undefined))];
}

function isTerminal(state: AslState): boolean {
  return state.End === true || state.Type === 'Fail' || state.Type === 'Succeed';
}

/**
 * The costliest simple path from `from` to a state `to` accepts (both counted), over the states' worst cases;
 * -Infinity when there is none. The workflow has a dozen states, so every simple path is tried.
 */
function costliestPath(definition: AslDefinition, from: string, to: (name: string) => boolean): number {
  const cost = (name: string) => {
    const state = definition.States[name];
    if (state === undefined) throw new Error(`State "${name}" is named but not defined.`);
    return stateHistoryEvents(name, state);
  };
  const visit = (name: string, seen: Set<string>): number => {
    const here = cost(name);
    let best = to(name) && seen.size > 1 ? here : Number.NEGATIVE_INFINITY;
    for (const next of successors(definition.States[name] as AslState)) {
      if (seen.has(next)) continue;
      seen.add(next);
      best = Math.max(best, here + visit(next, seen));
      seen.delete(next);
    }
    return best;
  };
  return visit(from, new Set([from]));
}

/**
 * The run-task workflow's worst case per piece, from its definition. The states before Check Capacity (Enter Queue)
 * run once: the costliest way from the start to Check Capacity, without Check Capacity's own events (`finish` and
 * the loops count them); a way from there that ends the execution instead (Queue Wait Expired) costs less than it.
 */
export function historyCostsFromAsl(definition: AslDefinition): HistoryCosts {
  const { check, capacityWait, backOff } = LOOP_STATES;
  const checkState = definition.States[check];
  if (checkState === undefined) throw new Error(`The workflow must have a "${check}" state.`);
  const admission =
    definition.StartAt === check
      ? 0
      : costliestPath(definition, definition.StartAt, (name) => name === check) - stateHistoryEvents(check, checkState);
  if (!Number.isFinite(admission))
    throw new Error(`The workflow must lead from "${definition.StartAt}" to "${check}".`);
  for (const [loopState, why] of [
    [capacityWait, 'the capacity loop'],
    [backOff, 'the retry loop'],
  ] as const) {
    const state = definition.States[loopState];
    if (state?.Next !== check) throw new Error(`"${loopState}" must lead back to "${check}" (${why}).`);
  }
  return {
    execution: 2,
    admission,
    capacityLoop: costliestPath(definition, check, (name) => name === capacityWait),
    retryLoop: costliestPath(definition, check, (name) => name === backOff),
    finish: costliestPath(definition, check, (name) => isTerminal(definition.States[name] as AslState)),
  };
}
