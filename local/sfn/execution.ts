/**
 * One running execution: the engine runs the definition's prepared copy (engine.ts) with every Task and
 * Wait state overridden by Berth, and this class records the history in AWS's form as it happens.
 * - The context object is passed whole (Execution.Id/Name/StartTime/RoleArn/Input, StateMachine.Id/Name),
 *   so `$$.Execution.Name` works as on AWS. (The engine sets Execution.StartTime itself, to within a
 *   millisecond of the execution's startDate.)
 * - Ordering: the engine queues its events and hands them out asynchronously; a task driver's events are
 *   recorded only after a macrotask turn (`tick`), by when every engine event dispatched before has been
 *   translated, so TaskScheduled follows TaskStateEntered and TaskSucceeded precedes TaskStateExited.
 * - A Task state's TimeoutSeconds is timed by the engine: when the engine fails a Task state whose driver
 *   is still running, the driver is cancelled (an ECS task is stopped) and the history gets TaskTimedOut.
 *   TimeoutSecondsPath is read here from the state input (as AWS does; see engine.ts) and timed here, with
 *   the same outcome and the engine's own States.Timeout error.
 * - Stopping the execution aborts the engine and cancels every running driver (the engine's abort does
 *   not reach them), and waits (bounded) for their clean-up, such as StopTask.
 * - Resuming after a restart (`resume`, found by resume.ts): the engine runs a copy of the definition that
 *   starts at the resumed state (engine.ts resumeMachine) with the execution's own input and context; the
 *   events of that state already in the history are not recorded again, and its interrupted run gets only what
 *   was left of it: a Wait its remaining time, a Task the rest of its timeout (from its last TaskScheduled), the
 *   execution the rest of its TimeoutSeconds. The history goes on where it stopped: the new invocation of a
 *   resumed Task shows as a TaskScheduled and TaskStarted after the interrupted one's, as a retry would. A
 *   callback Task (`.waitForTaskToken`) resumes on the token it had: one already submitted is not invoked again
 *   and waits on (or takes the outcome recorded for) that token, under its first TaskScheduled.
 * - `$$.Task.Token` (task-tokens.ts): the engine evaluates a state's Parameters against the context object
 *   synchronously just before it calls the state's handler, so the context's `Task.Token` is a getter that mints
 *   a token, and runTask, called in the same synchronous stretch, takes it (`takeToken`). Each invocation, a
 *   retry included, gets its own; Parallel branches and Map iterations share the getter and are just as
 *   synchronous. A resumed callback Task is given its old token instead.
 * - HeartbeatSeconds (HeartbeatSecondsPath read from the state input) is passed to the driver, which fails the
 *   state with a HeartbeatTimeoutError; that is recorded as TaskTimedOut and given to the engine as its own
 *   timeout error named States.HeartbeatTimeout (see engine.ts for how Retry and Catch match it).
 */
import {
  type CompiledDefinition,
  ExecutionError,
  ExecutionTimeoutError,
  engineTimeoutError,
  MAX_TIMER_SECONDS,
  RESUME_STATE,
  resumeMachine,
  runMachine,
  type StateInfo,
} from './engine';
import { type EngineEvent, json, type NewEvent, translateEngineEvent } from './history';
import { EngineShutdown, type TaskDriver } from './task-driver';
import { HeartbeatTimeoutError, sleep, TaskCancelledError, TaskError } from './task-error';
import { newTaskToken } from './task-tokens';
import { readReferencePath, runWaitState } from './wait-state';

export type Outcome =
  | { status: 'SUCCEEDED'; output: string }
  | { status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; error?: string; cause?: string };

export interface ContextObject {
  Execution: { Id: string; Name: string; StartTime: string; RoleArn: string; Input?: unknown; RedriveCount: number };
  StateMachine: { Id: string; Name: string };
}

export interface ExecutionRunOptions {
  compiled: CompiledDefinition;
  context: ContextObject;
  /** The driver for a Task state's Resource, or undefined when Berth cannot run it. */
  driverFor(resource: string): TaskDriver | undefined;
  /** Appends an event to the execution's history. */
  record(event: NewEvent): void;
  /** Closes the execution: status, terminal event. Called once. */
  finish(outcome: Outcome): void;
  timeScale: number;
  region: string;
  /** How long stop() waits for drivers to clean up (StopTask) before answering. */
  stopGraceMs?: number;
  /** Set for an execution a restart interrupted: where it picks up (resume.ts). */
  resume?: Resume;
}

/** Where a resumed execution picks up: a top-level state, run again (or first) with its recorded input. */
export interface Resume {
  state: string;
  input: unknown;
  /** The events of `state` already in the history that the engine dispatches again: not recorded twice. */
  replayed: ReadonlyArray<'StateEntered' | 'StateExited'>;
  /** When the interrupted Wait began or Task attempt was scheduled (epoch ms): only what is left of it runs. */
  since?: number;
  /** When the definition's TimeoutSeconds runs out (epoch ms), if it has one. */
  deadline?: number;
  /** The token the interrupted callback Task waited on (task-tokens.ts), when `state` is one. */
  taskToken?: ResumedToken;
}

export interface ResumedToken {
  token: string;
  /** The task was submitted, or has its outcome: no new TaskScheduled, no new call to the resource. */
  reattach: boolean;
  /** Its outcome (TaskSucceeded, TaskFailed) is in the history already: not recorded twice. */
  recorded: boolean;
}

interface Invocation {
  stateName: string;
  driver: TaskDriver;
  controller: AbortController;
  /** Once set, the driver's outcome is no longer this state's: nothing more is recorded for it. */
  closed: boolean;
  done?: Promise<unknown>;
  /**
   * Set when Berth timed the state out (timeOut): the state fails with it, whichever settles first, the timer or
   * the driver giving up on its abort (a callback driver rejects at once, a tick before the timer's promise would).
   */
  timedOut?: Error;
}

/** A macrotask turn: every engine event dispatched before it has been translated by then. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The engine races a state's handler against the execution's abort and stops listening once aborted, so a
 * handler that rejects afterwards (TaskCancelledError on a closed execution) would be an unhandled rejection and
 * take the whole endpoint down. Mark the promise handled; the engine still gets the same promise to await.
 */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

const SUPPORTED =
  'arn:aws:states:::lambda:invoke, arn:aws:states:::lambda:invoke.waitForTaskToken, arn:aws:states:::ecs:runTask.sync, arn:aws:states:::ecs:runTask';

export class ExecutionRun {
  private closed = false;
  private readonly controller = new AbortController();
  private readonly invocations = new Set<Invocation>();
  private abortEngine: (() => void) | undefined;
  private failState: StateInfo | undefined;
  /** Each state's last input as it entered (TimeoutSecondsPath reads the state input). */
  private readonly enteredInputs = new Map<string, unknown>();
  /** The resumed state's replayed events still to be skipped, and whether its interrupted run is still ahead. */
  private readonly replaying: Set<string>;
  private resumePending: boolean;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Minted by `$$.Task.Token` for the Task whose Parameters are being evaluated, until its runTask takes it. */
  private pendingToken: string | undefined;
  /** Settles when the execution is closed (whatever closed it). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private readonly options: ExecutionRunOptions) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.replaying = new Set(options.resume?.replayed ?? []);
    this.resumePending = options.resume !== undefined;
    this.pendingToken = options.resume?.taskToken?.token;
  }

  /** The context object the engine evaluates paths against: the execution's, with `Task.Token` (module comment). */
  private engineContext(): Record<string, unknown> {
    const task = {};
    Object.defineProperty(task, 'Token', {
      enumerable: true,
      get: () => {
        this.pendingToken ??= newTaskToken(this.options.context.Execution.Id);
        return this.pendingToken;
      },
    });
    return { ...this.options.context, Task: task };
  }

  /** The token of the Task invocation starting now: the one its Parameters saw, or a fresh one. */
  private takeToken(): string {
    const token = this.pendingToken ?? newTaskToken(this.options.context.Execution.Id);
    this.pendingToken = undefined;
    return token;
  }

  /** Whether the execution is closed (stopped before it started, for one). */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs the execution from its start with `input` (its execution input), or from `options.resume`. */
  start(input: unknown): void {
    if (this.closed) return;
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const info of this.options.compiled.states.values()) {
      if (info.type === 'Task') handlers[info.name] = (stateInput) => settledLater(this.runTask(info, stateInput));
      if (info.type === 'Wait') handlers[info.name] = (stateInput) => settledLater(this.runWait(info, stateInput));
    }
    const resume = this.options.resume;
    let machine = this.options.compiled.machine;
    if (resume !== undefined) {
      machine = resumeMachine(this.options.compiled, resume.state);
      handlers[RESUME_STATE] = async () => resume.input;
      if (resume.deadline !== undefined) this.timeExecution(resume.deadline);
    }
    const startTime = Date.parse(this.options.context.Execution.StartTime);
    const execution = runMachine(
      machine,
      input,
      {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context: this.engineContext() as never,
        noThrowOnAbort: true,
      },
      startTime,
    );
    this.abortEngine = execution.abort;
    const consumed = this.consume(execution.eventLogs as AsyncGenerator<EngineEvent>);
    execution.result.then(
      async (output) => {
        await consumed;
        this.close({ status: 'SUCCEEDED', output: json(output) });
      },
      async (err: unknown) => {
        await consumed;
        this.close(this.outcomeOf(err));
      },
    );
  }

  /** StopExecution: the execution ends ABORTED now; running drivers are cancelled. */
  async stop(error?: string, cause?: string): Promise<void> {
    if (this.closed) return;
    const outcome: Outcome = { status: 'ABORTED' };
    if (error !== undefined) outcome.error = error;
    if (cause !== undefined) outcome.cause = cause;
    this.close(outcome);
    const name = this.options.context.Execution.Name;
    const reason = `Step Functions execution ${name} was stopped (StopExecution)${error ? `: ${error}` : ''}`;
    await this.cancelAll(reason);
  }

  /** Closes without an outcome of its own (the process is shutting down): drivers are left alone. */
  detach(): void {
    clearTimeout(this.deadlineTimer);
    this.closed = true;
    this.controller.abort('Berth is shutting down');
    // Running Task drivers stop waiting too (a .sync poll would otherwise go on against a closed endpoint), and
    // record nothing; what they started is left for the resumed execution to re-attach to.
    for (const invocation of this.invocations) {
      invocation.closed = true;
      invocation.controller.abort(new EngineShutdown());
    }
    this.abortEngine?.();
    this.resolveDone();
  }

  private async cancelAll(reason: string) {
    this.controller.abort(reason);
    this.abortEngine?.();
    const pending: Promise<unknown>[] = [];
    for (const invocation of this.invocations) {
      invocation.closed = true;
      invocation.controller.abort(reason);
      if (invocation.done) pending.push(invocation.done.catch(() => {}));
    }
    if (pending.length === 0) return;
    const grace = new AbortController();
    await Promise.race([Promise.all(pending), sleep(this.options.stopGraceMs ?? 10_000, grace.signal).catch(() => {})]);
    grace.abort();
  }

  /** A resumed execution's TimeoutSeconds, which the engine's copy does not have: what is left of it. */
  private timeExecution(deadline: number) {
    const ms = Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_SECONDS * 1000);
    this.deadlineTimer = setTimeout(() => {
      this.abortEngine?.();
      this.close({ status: 'TIMED_OUT' });
    }, ms);
    this.deadlineTimer.unref();
  }

  private close(outcome: Outcome) {
    if (this.closed) return;
    clearTimeout(this.deadlineTimer);
    this.options.finish(outcome);
    this.closed = true;
    if (outcome.status !== 'ABORTED') {
      // The engine is done; a driver still running (its state timed out with the execution) is cancelled.
      void this.cancelAll(`Step Functions execution ${this.options.context.Execution.Name} ended ${outcome.status}`);
    }
    this.resolveDone();
  }

  private record(event: NewEvent) {
    if (!this.closed) this.options.record(event);
  }

  private outcomeOf(err: unknown): Outcome {
    if (err instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT' };
    if (err instanceof ExecutionError) {
      const cause = err.cause as Error | undefined;
      const outcome: Outcome = { status: 'FAILED' };
      const fail = this.failState?.definition;
      // A Fail state without Error/Cause ends the execution without them, as on AWS (the engine fills defaults).
      const fromFailState = fail !== undefined && cause?.constructor?.name === 'FailStateError';
      if (cause?.name !== undefined && !(fromFailState && fail.Error === undefined && fail.ErrorPath === undefined)) {
        outcome.error = cause.name;
      }
      if (
        cause?.message !== undefined &&
        !(fromFailState && fail.Cause === undefined && fail.CausePath === undefined)
      ) {
        outcome.cause = cause.message;
      }
      return outcome;
    }
    return { status: 'FAILED', error: 'States.Runtime', cause: (err as Error)?.message ?? String(err) };
  }

  private async consume(events: AsyncGenerator<EngineEvent>) {
    const states = this.options.compiled.states;
    try {
      for await (const event of events) {
        if (event.state?.name === RESUME_STATE) continue; // Berth's own first state: not the execution's
        const info = event.state ? states.get(event.state.name) : undefined;
        if (event.type === 'StateEntered' && info?.type === 'Fail') this.failState = info;
        if (
          event.type === 'StateEntered' &&
          (info?.definition.TimeoutSecondsPath !== undefined || info?.definition.HeartbeatSecondsPath !== undefined)
        ) {
          this.enteredInputs.set(info.name, event.state?.input);
        }
        if (info !== undefined && info.name === this.options.resume?.state && this.replaying.delete(event.type)) {
          continue; // in the history already, from before the restart
        }
        if (event.type === 'StateFailed' && info?.type === 'Task') {
          this.taskStateFailed(info, event);
          continue;
        }
        for (const translated of translateEngineEvent(event, states)) this.record(translated);
      }
    } catch (err) {
      console.error('[berth] Step Functions: reading the engine event log failed:', err);
    }
  }

  /** The engine failed a Task state; if its driver is still running, the state timed out under it. */
  private taskStateFailed(info: StateInfo, event: EngineEvent) {
    const invocation = [...this.invocations].find((i) => i.stateName === info.name && !i.closed);
    if (invocation === undefined) return; // the driver reported its own failure, or never ran
    invocation.closed = true;
    const base = { resourceType: invocation.driver.resourceType, resource: invocation.driver.resource };
    const cause = typeof event.Cause === 'string' && event.Cause !== event.Error ? event.Cause : undefined;
    if (event.Error === 'States.Timeout') {
      this.record({
        type: 'TaskTimedOut',
        timestamp: event.timestamp,
        details: { ...base, error: 'States.Timeout', ...(cause ? { cause } : {}) },
      });
      invocation.controller.abort(
        `Step Functions state '${info.name}' of execution ${this.options.context.Execution.Name} timed out`,
      );
    } else {
      this.record({
        type: 'TaskFailed',
        timestamp: event.timestamp,
        details: { ...base, error: event.Error, ...(cause ? { cause } : {}) },
      });
      invocation.controller.abort(`Step Functions state '${info.name}' failed`);
    }
  }

  private async runWait(info: StateInfo, input: unknown): Promise<unknown> {
    await tick();
    const since = this.interruptedSince(info);
    return runWaitState(
      info.definition,
      input,
      this.options.context,
      this.options.timeScale,
      this.controller.signal,
      since,
    );
  }

  /** For the first run of the resumed state: when its interrupted run began, if it is known. */
  private interruptedSince(info: StateInfo): number | undefined {
    if (!this.resumePending || info.name !== this.options.resume?.state) return undefined;
    this.resumePending = false;
    return this.options.resume.since;
  }

  /** Whether Berth times this Task state (TimeoutSecondsPath, or the resumed state, whose timeout is Berth's). */
  private timedHere(info: StateInfo): boolean {
    if (info.definition.TimeoutSecondsPath !== undefined) return true;
    return info.name === this.options.resume?.state && typeof info.definition.TimeoutSeconds === 'number';
  }

  private async runTask(info: StateInfo, input: unknown): Promise<unknown> {
    const taskToken = this.takeToken(); // before any await: see the module comment
    await tick();
    if (this.closed) throw new TaskCancelledError('the execution is closed');
    const resource = String(info.definition.Resource);
    const driver = this.options.driverFor(resource);
    if (driver === undefined) {
      throw new TaskError(
        'States.Runtime',
        `Berth's local Step Functions cannot run the Task resource '${resource}' of state '${info.name}' (it runs ${SUPPORTED}).`,
      );
    }
    const timeoutSeconds = this.timeoutSeconds(info);
    const heartbeatSeconds = this.heartbeatSeconds(info);
    // A Task cut short by a restart has what was left of its timeout when it runs again.
    const resumedToken =
      this.resumePending && info.name === this.options.resume?.state ? this.options.resume.taskToken : undefined;
    const since = this.interruptedSince(info);
    const elapsedMs = since === undefined ? 0 : Math.max(0, Date.now() - since);
    const invocation: Invocation = {
      stateName: info.name,
      driver,
      controller: new AbortController(),
      closed: resumedToken?.recorded ?? false,
    };
    this.invocations.add(invocation);
    const base = { resourceType: driver.resourceType, resource: driver.resource };
    if (!resumedToken?.reattach) {
      const scheduled: Record<string, unknown> = { ...base, region: this.options.region, parameters: json(input) };
      if (timeoutSeconds !== undefined) scheduled.timeoutInSeconds = timeoutSeconds;
      if (heartbeatSeconds !== undefined) scheduled.heartbeatInSeconds = heartbeatSeconds;
      this.record({ type: 'TaskScheduled', details: scheduled });
      this.record({ type: 'TaskStarted', details: base });
    }
    const run = driver.run(input, {
      signal: invocation.controller.signal,
      emit: async (event) => {
        await tick();
        if (!invocation.closed) this.record(event);
      },
      stateName: info.name,
      executionArn: this.options.context.Execution.Id,
      region: this.options.region,
      taskToken,
      ...(heartbeatSeconds !== undefined && { heartbeatSeconds }),
    });
    invocation.done = run;
    const timer = new AbortController();
    try {
      const timedOut =
        !this.timedHere(info) || timeoutSeconds === undefined
          ? undefined
          : sleep(Math.max(0, timeoutSeconds * 1000 - elapsedMs), timer.signal).then(() =>
              this.timeOut(info, invocation),
            );
      const output = await (timedOut ? Promise.race([run, timedOut]) : run);
      await tick();
      if (!invocation.closed) {
        invocation.closed = true;
        this.record({
          type: 'TaskSucceeded',
          details: { ...base, output: json(output), outputDetails: { truncated: false } },
        });
      }
      return output;
    } catch (err) {
      await tick();
      if (invocation.timedOut !== undefined) throw invocation.timedOut;
      if (err instanceof TaskCancelledError) throw err;
      if (!(err instanceof TaskError) && (err as Error)?.name === 'States.Timeout') throw err; // timeOut's, recorded
      if (err instanceof HeartbeatTimeoutError) {
        if (!invocation.closed) {
          invocation.closed = true;
          this.record({ type: 'TaskTimedOut', details: { ...base, error: err.name } });
        }
        const TimeoutError = await engineTimeoutError();
        const timedOut = new TimeoutError();
        timedOut.name = err.name;
        timedOut.message = err.message;
        throw timedOut;
      }
      const failure =
        err instanceof TaskError ? err : new TaskError('States.TaskFailed', (err as Error)?.message ?? String(err));
      if (!invocation.closed) {
        invocation.closed = true;
        // SendTaskFailure may leave out the error or the cause: the event then leaves it out too.
        const details: Record<string, unknown> = { ...base };
        if (failure.error !== '') details.error = failure.error;
        if (failure.causeText !== '') details.cause = failure.causeText;
        this.record({ type: 'TaskFailed', details });
      }
      throw failure;
    } finally {
      timer.abort();
      this.invocations.delete(invocation);
    }
  }

  /** The state's timeout: TimeoutSeconds, or TimeoutSecondsPath read from the state input. */
  private timeoutSeconds(info: StateInfo): number | undefined {
    const { TimeoutSeconds, TimeoutSecondsPath } = info.definition;
    if (typeof TimeoutSecondsPath === 'string') {
      const value = readReferencePath(TimeoutSecondsPath, this.enteredInputs.get(info.name), this.options.context);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TaskError(
          'States.Runtime',
          `The TimeoutSecondsPath parameter does not reference a positive integer: '${TimeoutSecondsPath}' is ${JSON.stringify(value) ?? 'undefined'}.`,
        );
      }
      return value;
    }
    return typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined;
  }

  /** The state's heartbeat interval: HeartbeatSeconds, or HeartbeatSecondsPath read from the state input. */
  private heartbeatSeconds(info: StateInfo): number | undefined {
    const { HeartbeatSeconds, HeartbeatSecondsPath } = info.definition;
    if (typeof HeartbeatSecondsPath === 'string') {
      const value = readReferencePath(HeartbeatSecondsPath, this.enteredInputs.get(info.name), this.options.context);
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TaskError(
          'States.Runtime',
          `The HeartbeatSecondsPath parameter does not reference a positive integer: '${HeartbeatSecondsPath}' is ${JSON.stringify(value) ?? 'undefined'}.`,
        );
      }
      return value;
    }
    return typeof HeartbeatSeconds === 'number' ? HeartbeatSeconds : undefined;
  }

  /** A TimeoutSecondsPath state ran out of time: TaskTimedOut, the driver cancelled, the engine's error. */
  private async timeOut(info: StateInfo, invocation: Invocation): Promise<never> {
    const TimeoutError = await engineTimeoutError();
    if (!invocation.closed) {
      invocation.closed = true;
      const base = { resourceType: invocation.driver.resourceType, resource: invocation.driver.resource };
      this.record({ type: 'TaskTimedOut', details: { ...base, error: 'States.Timeout' } });
    }
    invocation.timedOut = new TimeoutError();
    invocation.controller.abort(
      `Step Functions state '${info.name}' of execution ${this.options.context.Execution.Name} timed out`,
    );
    throw invocation.timedOut;
  }
}
