/**
 * Loading and preparing aws-local-stepfunctions 3.0.0, the engine that runs Berth's local executions, with
 * its known pitfalls handled here once (see docs/design-notes.md, "Known pitfalls"):
 * - It calls `Promise.withResolvers`: ./polyfill is imported before the engine is required.
 * - Its package is `"type": "module"`; it ships a CommonJS build under the `require` condition, which is
 *   what our CommonJS code (tsx, ts-jest) loads with `require`. TypeScript (nodenext) sees only its ESM
 *   typings, so the few members Berth uses are typed here.
 * - The constructor validates (about 90 ms) and keeps a reference to the definition it is given: a
 *   definition is validated once, from a copy, and the machine that runs is built from another, prepared,
 *   copy with validation off, then reused by every execution of that definition.
 * - A Task state with no TimeoutSeconds times out after 60 s (AWS has no such default): such states get
 *   the largest timeout a Node timer can hold (about 24.8 days), as do larger TimeoutSeconds.
 * - TimeoutSecondsPath is read by the engine from the effective input (after Parameters) rather than the
 *   state input, and a value over the timer limit fires at once: Berth times those states itself, failing
 *   them with the engine's own States.Timeout error (`engineTimeoutError`, so that a `States.TaskFailed`
 *   retrier or catcher still does not match it).
 * - Wait states and Retry intervals are scaled by the time scale (BERTH_SFN_TIME_SCALE) so tests never
 *   sleep for real: Retry intervals by rewriting IntervalSeconds/MaxDelaySeconds in the running copy (the
 *   engine's own interval override is a constant, which would lose the backoff), and Wait states by running
 *   each as a Task whose local handler computes the wait as AWS does and sleeps the scaled time (the engine's
 *   wait override is a constant too, which cannot follow SecondsPath or TimestampPath).
 * - A heartbeat timeout (States.HeartbeatTimeout, execution.ts) is a kind of States.Timeout in the ASL
 *   specification ("States.Timeout: a Task State either ran longer than TimeoutSeconds, or failed to heartbeat for
 *   a time longer than HeartbeatSeconds"), while the engine matches error names exactly: a Task's retriers and
 *   catchers naming States.Timeout also name States.HeartbeatTimeout in the running copy. Given as the engine's
 *   own timeout error, it is not matched by States.TaskFailed, as a timeout is not.
 * - JSONata passes its validator but does not run: a definition using it is refused here, with a message
 *   saying so, instead of failing at run time (a deliberate deviation: AWS accepts JSONata).
 * - The engine sets `$$.Execution.StartTime` to the time its run() is called and `$$.Execution.Input` to the
 *   input run() is given, over the context it is passed. runMachine() pins the clock for that one synchronous
 *   call, so StartTime is the execution's own start, also for an execution resumed after a restart.
 * - Resuming after a restart (resumeMachine): the engine can only start at StartAt, so an execution resumes on a
 *   copy of its definition whose StartAt is a Task of Berth's own (RESUME_STATE) that hands the resumed state its
 *   recorded input, run with the execution's own input so that `$$.Execution.Input` stays the original. In that
 *   copy the definition's TimeoutSeconds and the resumed Task state's TimeoutSeconds are Berth's to time (what is
 *   left of them, see execution.ts), and one copy per resumed state is built and reused.
 */
import './polyfill';
import { InvalidDefinition } from './exceptions';

/** The engine's options for one run (its RunOptions, as much as Berth uses). */
export interface EngineRunOptions {
  overrides?: {
    taskResourceLocalHandlers?: Record<string, (input: unknown) => Promise<unknown>>;
    waitTimeOverrides?: Record<string, number>;
    retryIntervalOverrides?: Record<string, number | number[]>;
  };
  noThrowOnAbort?: boolean;
  context?: Record<string, unknown>;
}

export interface EngineExecution {
  abort: () => void;
  result: Promise<unknown>;
  eventLogs: AsyncGenerator<unknown>;
}

export interface EngineStateMachine {
  run(input: unknown, options?: EngineRunOptions): EngineExecution;
}

/**
 * The engine's exports, typed here: its own typings are ESM-only, which a CommonJS module can import only
 * with import attributes our tooling does not all parse.
 */
interface EngineModule {
  StateMachine: new (
    definition: unknown,
    options?: { validationOptions?: { noValidate?: boolean; checkPaths?: boolean; checkArn?: boolean } },
  ) => EngineStateMachine;
  ExecutionAbortedError: new () => Error;
  ExecutionError: new (cause: Error) => Error;
  ExecutionTimeoutError: new () => Error;
}

// Loaded after the polyfill (import order), from the CommonJS build.
const engine = require('aws-local-stepfunctions') as EngineModule;

export const { StateMachine, ExecutionAbortedError, ExecutionError, ExecutionTimeoutError } = engine;

/** The largest delay a Node timer holds (2^31 - 1 ms); a longer one fires at once. */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

/** The Resource the Wait states of the running copy are given; never seen outside this module's callers. */
export const WAIT_RESOURCE = 'arn:aws:states:::berth:wait';

export type AslState = Record<string, unknown> & { Type: string };
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

/** A state as the definition has it, and where it sits. */
export interface StateInfo {
  name: string;
  type: string;
  definition: AslState;
}

export interface CompiledDefinition {
  /** The definition as given (parsed); never mutated. */
  definition: AslDefinition;
  /** Every state, nested ones (Parallel branches, Map processors) included: ASL names are unique machine-wide. */
  states: ReadonlyMap<string, StateInfo>;
  /** The engine's machine, built once from the prepared copy. */
  machine: EngineStateMachine;
  /** The time scale the prepared copies are built with. */
  timeScale: number;
  /** Machines that resume at a top-level state (resumeMachine), built when first needed. */
  resumed: Map<string, EngineStateMachine>;
}

/** The Task state a resumed copy starts at; its local handler returns the resumed state's recorded input. */
export const RESUME_STATE = 'Berth Resume';
export const RESUME_RESOURCE = 'arn:aws:states:::berth:resume';

/**
 * The engine's machine for an execution resumed at the top-level state `stateName` (see the module comment):
 * the definition with RESUME_STATE as StartAt leading to `stateName`, without the definition's TimeoutSeconds,
 * and with `stateName`'s own TimeoutSeconds, if it is a Task, left to Berth. Built once per state and reused.
 */
export function resumeMachine(compiled: CompiledDefinition, stateName: string): EngineStateMachine {
  const cached = compiled.resumed.get(stateName);
  if (cached) return cached;
  if (!Object.hasOwn(compiled.definition.States, stateName)) {
    throw new RangeError(`'${stateName}' is not a top-level state of the definition`);
  }
  const copy = JSON.parse(JSON.stringify(compiled.definition)) as AslDefinition;
  delete copy.TimeoutSeconds;
  copy.States = {
    [RESUME_STATE]: { Type: 'Task', Resource: RESUME_RESOURCE, Next: stateName },
    ...copy.States,
  };
  copy.StartAt = RESUME_STATE;
  const prepared = prepareForEngine(copy, compiled.timeScale);
  const target = prepared.States[stateName]!;
  // A Wait state is a Task in the prepared copy too, with the largest timeout already: only a real Task changes.
  if (compiled.definition.States[stateName]?.Type === 'Task') target.TimeoutSeconds = MAX_TIMER_SECONDS;
  const machine = new StateMachine(prepared, { validationOptions: { noValidate: true } });
  compiled.resumed.set(stateName, machine);
  return machine;
}

/**
 * Runs `machine` with `$$.Execution.StartTime` = `startTime` (epoch ms): the engine stamps it with `new Date()`
 * inside run(), synchronously, so `Date` with no argument reads `startTime` for the length of that call only.
 */
export function runMachine(
  machine: EngineStateMachine,
  input: unknown,
  options: EngineRunOptions,
  startTime: number,
): EngineExecution {
  const RealDate = globalThis.Date;
  class PinnedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(startTime);
      else super(...(args as [string | number | Date]));
    }
  }
  globalThis.Date = PinnedDate as DateConstructor;
  try {
    return machine.run(input, options);
  } finally {
    globalThis.Date = RealDate;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `visit` on every state of `definition` and of its nested machines. */
function walkStates(
  definition: unknown,
  visit: (name: string, state: AslState, parent: Record<string, unknown>) => void,
) {
  if (!isObject(definition) || !isObject(definition.States)) return;
  const parent = definition.States;
  for (const [name, state] of Object.entries(parent)) {
    if (!isObject(state)) continue;
    visit(name, state as AslState, parent);
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) walkStates(branch, visit);
    walkStates(state.ItemProcessor, visit);
    walkStates(state.Iterator, visit);
  }
}

function usesJsonata(definition: AslDefinition): boolean {
  if (definition.QueryLanguage === 'JSONata') return true;
  let found = false;
  walkStates(definition, (_name, state) => {
    if (state.QueryLanguage === 'JSONata' || 'Arguments' in state || 'Output' in state || 'Assign' in state) {
      found = true;
    }
  });
  return found;
}

/** Retry and Catch entries naming States.Timeout also match States.HeartbeatTimeout (see the module comment). */
function widenTimeoutMatchers(state: AslState) {
  for (const key of ['Retry', 'Catch'] as const) {
    const entries = state[key];
    if (!Array.isArray(entries)) continue;
    state[key] = entries.map((entry: Record<string, unknown>) => {
      const names = entry.ErrorEquals;
      if (!Array.isArray(names) || !names.includes('States.Timeout') || names.includes('States.HeartbeatTimeout')) {
        return entry;
      }
      return { ...entry, ErrorEquals: [...names, 'States.HeartbeatTimeout'] };
    });
  }
}

function scaleRetriers(state: AslState, timeScale: number) {
  if (!Array.isArray(state.Retry)) return;
  state.Retry = state.Retry.map((retrier: Record<string, unknown>) => {
    // ASL's default interval is 1 s; it must be explicit to be scaled.
    const scaled: Record<string, unknown> = {
      ...retrier,
      IntervalSeconds: (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * timeScale,
    };
    if (typeof retrier.MaxDelaySeconds === 'number') scaled.MaxDelaySeconds = retrier.MaxDelaySeconds * timeScale;
    return scaled;
  });
}

/** The copy the engine runs: see the module comment for each rewrite. Mutates `copy`. */
export function prepareForEngine(copy: AslDefinition, timeScale: number): AslDefinition {
  walkStates(copy, (name, state, parent) => {
    if (state.Type === 'Wait') {
      const task: AslState = { Type: 'Task', Resource: WAIT_RESOURCE, TimeoutSeconds: MAX_TIMER_SECONDS };
      for (const key of ['Comment', 'InputPath', 'OutputPath', 'Next', 'End']) {
        if (key in state) task[key] = state[key];
      }
      parent[name] = task;
      return;
    }
    if (state.Type === 'Task') {
      widenTimeoutMatchers(state);
      if (state.TimeoutSecondsPath !== undefined) {
        // Berth times these itself (execution.ts): the engine reads the path from the effective input (after
        // Parameters) instead of the state input, and a value over the timer limit would fire at once.
        delete state.TimeoutSecondsPath;
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (state.TimeoutSeconds === undefined) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_TIMER_SECONDS) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      }
    }
    if (timeScale !== 1) scaleRetriers(state, timeScale);
  });
  return copy;
}

function invalid(detail: string): InvalidDefinition {
  return new InvalidDefinition(`Invalid State Machine Definition: '${detail}'`);
}

/**
 * Parses and validates a definition with the engine's validator (asl-validator: AWS's schema and
 * transition checks), then builds the machine that runs it. Throws InvalidDefinition with the validator's
 * words, in AWS's message shape ("Invalid State Machine Definition: '<CODE>: <detail>'").
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html#API_CreateStateMachine_Errors
 */
export function compileDefinition(text: string, timeScale = 1): CompiledDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`INVALID_JSON_DESCRIPTION: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw invalid('SCHEMA_VALIDATION_FAILED: the definition must be a JSON object');
  const definition = parsed as AslDefinition;
  if (usesJsonata(definition)) {
    throw invalid(
      "SCHEMA_VALIDATION_FAILED: Berth's local Step Functions runs JSONPath definitions only (QueryLanguage JSONata, Arguments, Output and Assign are not supported locally)",
    );
  }
  try {
    new StateMachine(JSON.parse(text));
  } catch (err) {
    const message = (err as Error).message.replace(
      /^State machine definition is invalid, see error\(s\) below:\s*/,
      '',
    );
    throw invalid(
      message
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .join(', '),
    );
  }
  const states = new Map<string, StateInfo>();
  walkStates(definition, (name, state) => states.set(name, { name, type: state.Type, definition: state }));
  // Copies by parsing again, not structuredClone: the engine tells templates from values by their prototype
  // being its realm's Object.prototype, which structuredClone's objects are not under jest's vm contexts.
  const prepared = prepareForEngine(JSON.parse(text) as AslDefinition, timeScale);
  const machine = new StateMachine(prepared, { validationOptions: { noValidate: true } });
  return { definition, states, machine, timeScale, resumed: new Map() };
}

let timeoutErrorClass: Promise<new () => Error> | undefined;

/**
 * The engine's States.Timeout error class, which it does not export: found once by letting the engine time
 * out a 1 ms Task. Its retriers tell a timeout from other Task failures by this class.
 */
export function engineTimeoutError(): Promise<new () => Error> {
  timeoutErrorClass ??= (async () => {
    const probe = new StateMachine(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: WAIT_RESOURCE, TimeoutSeconds: 0.001, End: true } } },
      { validationOptions: { noValidate: true } },
    );
    const execution = probe.run({}, { overrides: { taskResourceLocalHandlers: { T: () => new Promise(() => {}) } } });
    try {
      await execution.result;
    } catch (err) {
      const cause = (err as Error).cause;
      if (cause instanceof Error && cause.name === 'States.Timeout') return cause.constructor as new () => Error;
    }
    throw new Error('aws-local-stepfunctions did not time out as expected: cannot find its States.Timeout error');
  })();
  return timeoutErrorClass;
}
