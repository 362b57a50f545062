/**
 * Execution history in GetExecutionHistory's form: AWS's event types and their `<type>EventDetails` members.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 * The engine's own event log (StateEntered, StateExited, StateFailed, StateRetried, StateCaught, Map and
 * Parallel events) is translated here; Task events (TaskScheduled, TaskStarted, TaskSubmitted,
 * TaskSucceeded, TaskFailed, TaskTimedOut) come from Berth's task drivers, which the engine knows nothing of,
 * and execution events from the execution's own lifecycle. What AWS does that the engine does not show:
 * - a retried Task is not re-entered: AWS shows the new TaskScheduled... under the same TaskStateEntered, so
 *   StateRetried and StateCaught add nothing;
 * - a Fail state has FailStateEntered and no Exited event; a state that fails has no Exited event;
 * - Parallel and Map states also have <Type>StateStarted and <Type>StateSucceeded/Failed events.
 * Deviation: `previousEventId` is the id of the event recorded before (AWS's causal links differ from this
 * only inside Parallel and Map states).
 */
import type { StateInfo } from './engine';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** Epoch milliseconds (the wire carries epoch seconds). */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** An event before it is numbered. */
export interface NewEvent {
  type: string;
  details?: Record<string, unknown>;
  timestamp?: number;
}

const DETAILS_KEYS: Record<string, string> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
};

/** The member of HistoryEvent that holds `type`'s details. */
export function detailsKey(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return DETAILS_KEYS[type];
}

/** Numbers events and links each to the one before. */
export function numberEvent(event: NewEvent, id: number, now: number): HistoryEvent {
  const numbered: HistoryEvent = {
    timestamp: event.timestamp ?? now,
    type: event.type,
    id,
    previousEventId: id - 1,
  };
  const key = detailsKey(event.type);
  if (key !== undefined && event.details !== undefined) numbered[key] = event.details;
  return numbered;
}

/** A JSON document as history details carry it: a string, with `truncated: false` beside it. */
export function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** The event types of a state's type: `Task` -> `TaskStateEntered`. */
function stateEventType(type: string, suffix: 'Entered' | 'Exited'): string {
  return `${type}State${suffix}`;
}

/** The engine's event log entry (aws-local-stepfunctions' EventLog), as much of it as is read here. */
export interface EngineEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string; input?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

/**
 * The AWS events for one engine event. `states` gives each state's type as the definition has it (Wait
 * states run as Tasks in the engine). Task states' failures are the task drivers' business (see
 * execution.ts) and execution events the lifecycle's: both translate to nothing here.
 */
export function translateEngineEvent(event: EngineEvent, states: ReadonlyMap<string, StateInfo>): NewEvent[] {
  const timestamp = event.timestamp;
  const state = event.state;
  const type = state ? (states.get(state.name)?.type ?? state.type) : undefined;
  switch (event.type) {
    case 'StateEntered': {
      if (!state || !type) return [];
      const entered: NewEvent = {
        type: stateEventType(type, 'Entered'),
        timestamp,
        details: { name: state.name, input: json(state.input), inputDetails: { truncated: false } },
      };
      if (type === 'Parallel') return [entered, { type: 'ParallelStateStarted', timestamp }];
      if (type === 'Map') {
        const started: NewEvent = { type: 'MapStateStarted', timestamp, details: {} };
        const items = mapItems(states.get(state.name)?.definition, state.input);
        if (items !== undefined) started.details = { length: items };
        return [entered, started];
      }
      return [entered];
    }
    case 'StateExited': {
      if (!state || !type) return [];
      const exited: NewEvent = {
        type: stateEventType(type, 'Exited'),
        timestamp,
        details: { name: state.name, output: json(state.output), outputDetails: { truncated: false } },
      };
      if (type === 'Parallel') return [{ type: 'ParallelStateSucceeded', timestamp }, exited];
      if (type === 'Map') return [{ type: 'MapStateSucceeded', timestamp }, exited];
      return [exited];
    }
    case 'StateFailed':
      if (type === 'Parallel') return [{ type: 'ParallelStateFailed', timestamp }];
      if (type === 'Map') return [{ type: 'MapStateFailed', timestamp }];
      return [];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const name = event.parentState?.name;
      if (name === undefined || event.index === undefined) return [];
      return [{ type: event.type, timestamp, details: { name, index: event.index } }];
    }
    default:
      // StateRetried, StateCaught, ParallelBranch*, Execution*: no AWS event of their own (see above).
      return [];
  }
}

/** How many items a Map state iterates, when its ItemsPath is a plain `$.a.b` path (the common case). */
function mapItems(definition: Record<string, unknown> | undefined, input: unknown): number | undefined {
  const path = typeof definition?.ItemsPath === 'string' ? definition.ItemsPath : '$';
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) return undefined;
  let value: unknown = input;
  for (const key of path.split('.').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return Array.isArray(value) ? value.length : undefined;
}
