/**
 * Step Functions' state and rules: state machines, executions and their histories, kept in one
 * DurableStore (`<stateDir>/sfn.jsonl`) under key prefixes:
 *   sm/<stateMachineArn>             the state machine (definition, role, dates, revision)
 *   rev/<stateMachineArn>/<revision> a definition an update replaced (DescribeStateMachineForExecution)
 *   ex/<executionArn>                the execution (status, input, output, error, cause, dates)
 *   ev/<executionArn>/<id>           one history event, appended as it happens
 *   tt/<id>                          a task token of the callback pattern and its outcome (task-tokens.ts)
 * Everything is indexed in memory at open (the only full walk); ListExecutions reads the executions of one
 * state machine, never their histories. A finished execution stays in memory in full only among the most recent
 * `finishedInMemory` (default FINISHED_IN_MEMORY) to finish: past that, memory keeps what ListExecutions shows of it
 * (its summary) and the store lets go of its record and history events (DurableStore's evict), which
 * DescribeExecution and GetExecutionHistory then read back from the journal. So memory does not grow with every run
 * while executions stay readable as long as on AWS (90 days) and longer, across restarts. Writes are put as they
 * happen (group commit batches them); every answer waits until what it shows is on disk (`durable()`), so no answer
 * reveals state a crash could lose.
 * An execution that was RUNNING when its process died is resumed where its history says it was (resume.ts,
 * execution.ts), once its Task states can be called (`resumeAfterRestart`, when the endpoint serves and, under
 * `npm start`, the Lambda port too); until then it reads RUNNING and can be stopped. Its `$$.Execution` context
 * is the original one and its history goes on. Only an execution whose definition or position cannot be
 * recovered is closed at open, FAILED with `Berth.EngineRestarted` and a cause saying why, and the ECS tasks it
 * was waiting on are stopped once the endpoint serves; so are those of an execution stopped before it resumed.
 *
 * AWS behaviours copied, from the API reference (https://docs.aws.amazon.com/step-functions/latest/apireference/):
 * - CreateStateMachine is idempotent on name, definition, type, logging and tracing configuration; a
 *   different roleArn or tags are ignored, and the existing machine is returned (API_CreateStateMachine).
 * - StartExecution (STANDARD) with the name of a running execution and the same input returns the original
 *   executionArn and startDate; with another input, or once that execution has closed, it is
 *   ExecutionAlreadyExists. Names are never reused (AWS: 90 days; Berth keeps executions until the state is
 *   wiped). Inputs are compared as given (API_StartExecution).
 * - ListExecutions lists the most recent first (API_ListExecutions).
 * - SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat act on the task tokens (task-tokens.ts); an
 *   execution that ends closes the tokens its tasks still waited on.
 * - Each status change of an execution puts a "Step Functions Execution Status Change" event on the local bus
 *   (execution-events.ts), as Step Functions does on the default bus.
 */
import { randomUUID } from 'node:crypto';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { StopTaskCommand } from '@aws-sdk/client-ecs';
import type { AwsEventChannel } from '../events/aws-events';
import type { DurableStore, StoreOptions } from '../store';
import { type EcsRunTaskOptions, ecsRunTaskDriver } from './ecs-run-task';
import { type CompiledDefinition, compileDefinition, RESUME_STATE } from './engine';
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidArn,
  InvalidExecutionInput,
  InvalidName,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
} from './exceptions';
import { ExecutionRun, type Outcome, type Resume, type ResumedToken } from './execution';
import { executionStatusChangeEvent } from './execution-events';
import { type HistoryEvent, type NewEvent, numberEvent } from './history';
import { type LambdaInvoker, lambdaInvokeDriver } from './lambda-invoke';
import { resumePoint } from './resume';
import { parseIntegrationResource, type TaskDriver } from './task-driver';
import { type TaskTokenRecord, TaskTokens, TOKEN_PREFIX } from './task-tokens';
import { WAIT_FOR_TASK_TOKEN, waitForTaskTokenDriver } from './wait-for-task-token';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
];

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  /** Epoch ms. */
  creationDate: number;
  updateDate?: number;
  revisionId: string;
  loggingConfiguration: Record<string, unknown>;
  tracingConfiguration: Record<string, unknown>;
  tags?: Array<{ key?: string; value?: string }>;
}

/** What ListExecutions shows of an execution: all memory keeps of a finished one past the most recent. */
export type ExecutionSummary = Pick<
  ExecutionRecord,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  roleArn: string;
  revisionId: string;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
}

interface RevisionRecord {
  definition: string;
  roleArn: string;
}

export interface StepFunctionsOptions {
  region: string;
  accountId: string;
  /** Multiplies Wait durations and Retry intervals (BERTH_SFN_TIME_SCALE). */
  timeScale: number;
  invokeLambda: LambdaInvoker;
  /** The client for the local ECS endpoint, once it serves. */
  ecs: () => Promise<ECSClient>;
  ecsPollIntervalMs: number;
  /** The local ECS's task stops, when it runs beside this engine: `.sync` waits on them (ecs-run-task.ts). */
  ecsTaskStops?: EcsRunTaskOptions['taskStops'];
  /** DescribeTasks' fallback interval while `ecsTaskStops` is given. */
  ecsFallbackPollMs?: number;
  stopGraceMs?: number;
  /**
   * Where each status change of every execution (RUNNING at start, then its end, also when an execution a dead
   * process left RUNNING is closed at load) goes as a "Step Functions Execution Status Change" event
   * (execution-events.ts): the endpoint's channel to the local bus. Absent: none are emitted.
   */
  awsEvents?: AwsEventChannel;
  /** How many of the most recently finished executions stay in memory in full (see the module comment). */
  finishedInMemory?: number;
}

/** The store options Step Functions' store is opened with: finished executions' records and events can leave memory. */
export const SFN_STORE_OPTIONS: StoreOptions = {
  evictable: (key) => key.startsWith('ex/') || key.startsWith('ev/') || key.startsWith(TOKEN_PREFIX),
};

/** A history of the runs workflow is about 40 KB (each ECS state carries the task JSON): 25 of them is 1 MB. */
export const FINISHED_IN_MEMORY = 25;

export interface CreateStateMachineInput {
  name: string;
  definition: string;
  roleArn: string;
  loggingConfiguration?: Record<string, unknown>;
  tracingConfiguration?: Record<string, unknown>;
  tags?: Array<{ key?: string; value?: string }>;
}

/** Forbidden in state machine and execution names (API_StartExecution, "name"). */
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;

function hasControlCharacter(name: string): boolean {
  for (const char of name) {
    const code = char.codePointAt(0)!;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}
const MAX_INPUT_BYTES = 256 * 1024;
/** Between two executions resumed after a restart (see resumeAfterRestart). */
const RESUME_SPACING_MS = 100;
const MAX_COMPILED = 64;

export function checkName(name: string): void {
  if (name.length < 1 || name.length > 80 || NAME_FORBIDDEN.test(name) || hasControlCharacter(name)) {
    throw new InvalidName(`Invalid Name: '${name}'`);
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export class StepFunctions {
  private readonly stateMachines = new Map<string, StateMachineRecord>();
  /** Every execution: in full while running and among the most recently finished, its summary past those. */
  private readonly executions = new Map<string, ExecutionRecord | ExecutionSummary>();
  /** Per state machine, its executions' ARNs in start order. */
  private readonly executionsByMachine = new Map<string, string[]>();
  /** The histories of the executions held in full. */
  private readonly histories = new Map<string, HistoryEvent[]>();
  /** The finished executions held in full, the earliest finished first. */
  private readonly finishedInMemory = new Set<string>();
  private readonly running = new Map<string, ExecutionRun>();
  private readonly compiled = new Map<string, CompiledDefinition>();
  /** ECS tasks (cluster, task ARN) that executions closed at open were waiting on. */
  private orphans: Array<{ cluster?: string; task: string; executionArn: string }> = [];
  /** Executions a restart interrupted, waiting for resumeAfterRestart (each also in `running`). */
  private readonly toResume = new Map<string, { run: ExecutionRun; input: unknown }>();
  private closing = false;
  private readonly drivers: Record<string, TaskDriver>;
  private readonly tokens: TaskTokens;

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly options: StepFunctionsOptions,
  ) {
    const ecsOptions: EcsRunTaskOptions = {
      ecs: options.ecs,
      pollIntervalMs: options.ecsPollIntervalMs,
      ...(options.ecsTaskStops !== undefined && { taskStops: options.ecsTaskStops }),
      ...(options.ecsFallbackPollMs !== undefined && { fallbackPollMs: options.ecsFallbackPollMs }),
    };
    this.tokens = new TaskTokens(store);
    const lambdaInvoke = lambdaInvokeDriver(options.invokeLambda);
    this.drivers = {
      'lambda:invoke': lambdaInvoke,
      [`lambda:invoke.${WAIT_FOR_TASK_TOKEN}`]: waitForTaskTokenDriver(lambdaInvoke, this.tokens),
      'ecs:runTask.sync': ecsRunTaskDriver(ecsOptions, true),
      'ecs:runTask': ecsRunTaskDriver(ecsOptions, false),
    };
  }

  /** Loads the state from `store`; executions a dead process left RUNNING wait for resumeAfterRestart. */
  static load(store: DurableStore<unknown>, options: StepFunctionsOptions): StepFunctions {
    const model = new StepFunctions(store, options);
    const events: Array<[string, HistoryEvent]> = [];
    for (const [key, value] of store.entries()) {
      if (key.startsWith('sm/')) {
        const machine = value as StateMachineRecord;
        model.stateMachines.set(machine.stateMachineArn, machine);
      } else if (key.startsWith('ex/')) {
        const execution = value as ExecutionRecord;
        model.executions.set(execution.executionArn, execution);
      } else if (key.startsWith('ev/')) {
        events.push([key.slice(3, key.lastIndexOf('/')), value as HistoryEvent]);
      } else if (key.startsWith(TOKEN_PREFIX)) {
        model.tokens.load(value as TaskTokenRecord);
      }
    }
    for (const [arn, event] of events) {
      let history = model.histories.get(arn);
      if (!history) {
        history = [];
        model.histories.set(arn, history);
      }
      history.push(event);
    }
    for (const history of model.histories.values()) history.sort((a, b) => a.id - b.id);
    // Every record is in full at open.
    const byStart = ([...model.executions.values()] as ExecutionRecord[]).sort((a, b) => a.startDate - b.startDate);
    for (const execution of byStart) model.indexExecution(execution);
    const finished = byStart.filter((e) => e.status !== 'RUNNING');
    finished.sort((a, b) => (a.stopDate ?? 0) - (b.stopDate ?? 0));
    for (const execution of finished) model.finishedInMemory.add(execution.executionArn);
    model.evictFinished();
    for (const execution of byStart) if (execution.status === 'RUNNING') model.prepareResume(execution);
    return model;
  }

  /** Resolves when everything written so far is on disk. */
  durable(): Promise<void> {
    return this.store.durable();
  }

  // ---- state machines ----

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${name}`;
  }

  /** The machine, or StateMachineDoesNotExist (InvalidArn when `arn` is not a state machine ARN). */
  getStateMachine(arn: string): StateMachineRecord {
    const match = /^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:([^:]+)$/.exec(arn);
    if (!match) throw new InvalidArn(`Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const machine = this.stateMachines.get(arn);
    if (!machine) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  /** Validates `definition` (InvalidDefinition) and returns its compiled form, cached per text. */
  compile(definition: string): CompiledDefinition {
    const cached = this.compiled.get(definition);
    if (cached) {
      this.compiled.delete(definition);
      this.compiled.set(definition, cached); // most recently used last
      return cached;
    }
    const compiled = compileDefinition(definition, this.options.timeScale);
    this.compiled.set(definition, compiled);
    if (this.compiled.size > MAX_COMPILED) this.compiled.delete(this.compiled.keys().next().value!);
    return compiled;
  }

  async createStateMachine(input: CreateStateMachineInput): Promise<StateMachineRecord> {
    checkName(input.name);
    this.compile(input.definition);
    const arn = this.stateMachineArn(input.name);
    const loggingConfiguration = input.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false };
    const tracingConfiguration = input.tracingConfiguration ?? { enabled: false };
    const existing = this.stateMachines.get(arn);
    if (existing) {
      const same =
        existing.definition === input.definition &&
        sameJson(existing.loggingConfiguration, loggingConfiguration) &&
        sameJson(existing.tracingConfiguration, tracingConfiguration);
      if (!same) throw new StateMachineAlreadyExists(`State Machine Already Exists: '${arn}'`);
      await this.store.durable();
      return existing;
    }
    const machine: StateMachineRecord = {
      stateMachineArn: arn,
      name: input.name,
      definition: input.definition,
      roleArn: input.roleArn,
      type: 'STANDARD',
      creationDate: Date.now(),
      revisionId: randomUUID(),
      loggingConfiguration,
      tracingConfiguration,
    };
    if (input.tags !== undefined) machine.tags = input.tags;
    this.stateMachines.set(arn, machine);
    await this.store.put(`sm/${arn}`, machine);
    return machine;
  }

  async updateStateMachine(
    arn: string,
    changes: {
      definition?: string;
      roleArn?: string;
      loggingConfiguration?: Record<string, unknown>;
      tracingConfiguration?: Record<string, unknown>;
    },
  ): Promise<StateMachineRecord> {
    const current = this.getStateMachine(arn);
    if (changes.definition !== undefined) this.compile(changes.definition);
    const updated: StateMachineRecord = { ...current, updateDate: Date.now(), revisionId: randomUUID() };
    if (changes.definition !== undefined) updated.definition = changes.definition;
    if (changes.roleArn !== undefined) updated.roleArn = changes.roleArn;
    if (changes.loggingConfiguration !== undefined) updated.loggingConfiguration = changes.loggingConfiguration;
    if (changes.tracingConfiguration !== undefined) updated.tracingConfiguration = changes.tracingConfiguration;
    this.stateMachines.set(arn, updated);
    const revision: RevisionRecord = { definition: current.definition, roleArn: current.roleArn };
    void this.store.put(`rev/${arn}/${current.revisionId}`, revision);
    await this.store.put(`sm/${arn}`, updated);
    return updated;
  }

  /** Running executions of the machine are stopped; its executions stay readable. */
  async deleteStateMachine(arn: string): Promise<void> {
    const match = /^arn:aws[a-z-]*:states:[^:]+:\d{12}:stateMachine:([^:]+)$/.exec(arn);
    if (!match) throw new InvalidArn(`Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    const machine = this.stateMachines.get(arn);
    if (!machine) return this.store.durable(); // AWS answers success for a machine already gone
    this.stateMachines.delete(arn);
    const stops = (this.executionsByMachine.get(arn) ?? [])
      .filter((executionArn) => this.running.has(executionArn))
      .map((executionArn) => this.stopExecution(executionArn, 'States.Runtime', 'The state machine was deleted.'));
    await Promise.all(stops);
    for (const [key] of this.store.entries(`rev/${arn}/`)) void this.store.delete(key);
    await this.store.delete(`sm/${arn}`);
  }

  listStateMachines(): StateMachineRecord[] {
    return [...this.stateMachines.values()];
  }

  // ---- executions ----

  getExecution(arn: string): ExecutionRecord {
    if (!/^arn:aws[a-z-]*:states:[^:]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
      throw new InvalidArn(`Invalid Arn: 'Resource type not valid in this context: ${arn}'`);
    }
    const execution = this.fullRecord(arn);
    if (!execution) throw new ExecutionDoesNotExist(`Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  /** The execution's record in full: from memory, or read back from the store once it has left memory. */
  private fullRecord(arn: string): ExecutionRecord | undefined {
    const held = this.executions.get(arn);
    if (held === undefined || 'input' in held) return held;
    return this.store.get(`ex/${arn}`) as ExecutionRecord;
  }

  /** Starts an execution (see the module comment for names and idempotency). */
  async startExecution(stateMachineArn: string, name: string | undefined, input: string | undefined) {
    const machine = this.getStateMachine(stateMachineArn);
    const executionName = name ?? randomUUID();
    checkName(executionName);
    const inputText = input ?? '{}';
    if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) {
      throw new InvalidExecutionInput(
        `Invalid State Machine Execution Input: 'The input is over ${MAX_INPUT_BYTES} bytes'`,
      );
    }
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(inputText);
    } catch (err) {
      throw new InvalidExecutionInput(`Invalid State Machine Execution Input: '${(err as Error).message}'`);
    }
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${executionName}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // A RUNNING execution is always held in full.
      if (existing.status === 'RUNNING' && 'input' in existing && existing.input === inputText) {
        await this.store.durable();
        return existing;
      }
      throw new ExecutionAlreadyExists(`Execution Already Exists: '${executionArn}'`);
    }
    const compiled = this.compile(machine.definition);
    const startDate = Date.now();
    const execution: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name: executionName,
      status: 'RUNNING',
      input: inputText,
      roleArn: machine.roleArn,
      revisionId: machine.revisionId,
      startDate,
    };
    this.executions.set(executionArn, execution);
    this.indexExecution(execution);
    void this.store.put(`ex/${executionArn}`, execution);
    this.append(executionArn, {
      type: 'ExecutionStarted',
      timestamp: startDate,
      details: { input: inputText, inputDetails: { truncated: false }, roleArn: machine.roleArn },
    });
    const run = this.executionRun(execution, machine, compiled, parsedInput, undefined);
    this.running.set(executionArn, run);
    // Nothing runs (no ECS task starts) before the execution is on disk.
    await this.store.durable();
    this.options.awsEvents?.put(executionStatusChangeEvent(execution));
    if (this.running.get(executionArn) === run && this.executions.get(executionArn)?.status === 'RUNNING') {
      run.start(parsedInput);
    }
    return execution;
  }

  async stopExecution(arn: string, error?: string, cause?: string): Promise<ExecutionRecord> {
    this.getExecution(arn);
    const run = this.running.get(arn);
    if (run) await run.stop(error, cause);
    if (run && this.toResume.delete(arn)) {
      // Stopped before it resumed: nothing of it runs here to stop its ECS tasks, so they are stopped from its history.
      const tasks = waitingTasks(this.histories.get(arn) ?? []);
      await this.stopTasks(
        tasks.map((task) => ({ ...task, executionArn: arn })),
        (name) => `Step Functions execution ${name} was stopped (StopExecution)${error ? `: ${error}` : ''}`,
      ).catch((err) => console.error('[berth] Step Functions: stopping the tasks of a stopped execution failed:', err));
    }
    await this.store.durable();
    return this.fullRecord(arn)!;
  }

  // ---- task tokens (the callback pattern) ----

  /** SendTaskSuccess: answered once the outcome is on disk. */
  async sendTaskSuccess(token: string, output: string): Promise<void> {
    await this.tokens.succeed(token, output);
    await this.store.durable();
  }

  async sendTaskFailure(token: string, error: string | undefined, cause: string | undefined): Promise<void> {
    await this.tokens.fail(token, error, cause);
    await this.store.durable();
  }

  async sendTaskHeartbeat(token: string): Promise<void> {
    await this.tokens.heartbeat(token);
    await this.store.durable();
  }

  /** The executions of a machine, most recent first, optionally of one status. */
  listExecutions(stateMachineArn: string, status?: ExecutionStatus): ExecutionSummary[] {
    this.getStateMachine(stateMachineArn);
    const all = this.executionsByMachine.get(stateMachineArn) ?? [];
    const out: ExecutionSummary[] = [];
    for (let i = all.length - 1; i >= 0; i--) {
      const current = this.executions.get(all[i]!)!;
      if (status === undefined || current.status === status) out.push(current);
    }
    return out;
  }

  /** The history as it is now (a snapshot: later events are not in it). */
  history(arn: string): readonly HistoryEvent[] {
    this.getExecution(arn);
    const held = this.histories.get(arn);
    if (held !== undefined) return held.slice();
    // Left memory with its execution: its events are ev/<arn>/1, 2, ... in the store.
    const events: HistoryEvent[] = [];
    for (let id = 1; ; id++) {
      const event = this.store.get(`ev/${arn}/${id}`) as HistoryEvent | undefined;
      if (event === undefined) return events;
      events.push(event);
    }
  }

  /** The definition and role an execution ran with. */
  stateMachineForExecution(arn: string): StateMachineRecord {
    const execution = this.getExecution(arn);
    const machine = this.stateMachines.get(execution.stateMachineArn);
    if (!machine) throw new StateMachineDoesNotExist(`State Machine Does Not Exist: '${execution.stateMachineArn}'`);
    if (machine.revisionId === execution.revisionId) return machine;
    const revision = this.store.get(`rev/${machine.stateMachineArn}/${execution.revisionId}`) as
      | RevisionRecord
      | undefined;
    return revision ? { ...machine, ...revision, revisionId: execution.revisionId } : machine;
  }

  /**
   * After a restart, once Task states can be called (the endpoint serves; under `npm start`, the Lambda port
   * too): stops (best effort) the ECS tasks of executions closed at open, and resumes the executions that were
   * running. Called once.
   */
  async resumeAfterRestart(): Promise<void> {
    const orphans = this.orphans;
    this.orphans = [];
    const stopped = this.stopTasks(
      orphans,
      (name) => `Berth's local Step Functions restarted while execution ${name} was running and could not resume it`,
    );
    let first = true;
    for (const [arn, { run, input }] of [...this.toResume]) {
      // Spaced out: each resumed execution calls its Task at once, and a burst on functions that have just
      // started would meet them all cold.
      if (!first) await new Promise((resolve) => setTimeout(resolve, RESUME_SPACING_MS));
      first = false;
      if (this.closing) break;
      if (this.toResume.delete(arn)) run.start(input);
    }
    await stopped;
  }

  /** How many executions wait for resumeAfterRestart. */
  get resumable(): number {
    return this.toResume.size;
  }

  private async stopTasks(
    tasks: Array<{ cluster?: string; task: string; executionArn: string }>,
    reason: (executionName: string) => string,
  ): Promise<void> {
    if (tasks.length === 0) return;
    const ecs = await this.options.ecs();
    await Promise.allSettled(
      tasks.map((orphan) =>
        ecs.send(
          new StopTaskCommand({
            cluster: orphan.cluster,
            task: orphan.task,
            reason: reason(orphan.executionArn.split(':').pop()!).slice(0, 255),
          }),
        ),
      ),
    );
  }

  /** Detaches running executions (the process is closing: the next open resumes them). */
  close(): void {
    this.closing = true;
    this.toResume.clear();
    for (const run of this.running.values()) run.detach();
    this.running.clear();
  }

  // ---- internals ----

  /**
   * The token the interrupted attempt of `state` (scheduled at `since`) waited on, if it was a callback Task whose
   * token is still open or has an outcome: the resumed state waits on it (or takes its outcome) instead of a new one.
   */
  private resumedToken(
    executionArn: string,
    state: string,
    since: number,
    history: readonly HistoryEvent[],
  ): ResumedToken | undefined {
    const record = this.tokens.latest(executionArn, state);
    if (record === undefined || record.createdAt < since) return undefined;
    if (record.status !== 'OPEN' && record.status !== 'SUCCEEDED' && record.status !== 'FAILED') return undefined;
    return {
      token: record.token,
      reattach: record.submitted || record.status !== 'OPEN',
      recorded: record.status !== 'OPEN' && lastAttemptRecorded(history),
    };
  }

  private driverFor(resource: string): TaskDriver | undefined {
    const parsed = parseIntegrationResource(resource);
    return parsed ? this.drivers[`${parsed.service}:${parsed.action}`] : undefined;
  }

  private indexExecution(execution: ExecutionRecord) {
    let list = this.executionsByMachine.get(execution.stateMachineArn);
    if (!list) {
      list = [];
      this.executionsByMachine.set(execution.stateMachineArn, list);
    }
    list.push(execution.executionArn);
  }

  /** Past the finishedInMemory most recently finished executions, the earliest leave memory (module comment). */
  private evictFinished(): void {
    const keep = this.options.finishedInMemory ?? FINISHED_IN_MEMORY;
    for (const arn of this.finishedInMemory) {
      if (this.finishedInMemory.size <= keep) return;
      this.finishedInMemory.delete(arn);
      const record = this.executions.get(arn);
      if (record === undefined || record.status === 'RUNNING') continue;
      const summary: ExecutionSummary = {
        executionArn: record.executionArn,
        stateMachineArn: record.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate,
      };
      if (record.stopDate !== undefined) summary.stopDate = record.stopDate;
      this.executions.set(arn, summary);
      this.store.evict(`ex/${arn}`);
      for (const event of this.histories.get(arn) ?? []) this.store.evict(`ev/${arn}/${event.id}`);
      this.histories.delete(arn);
      this.tokens.forget(arn);
    }
  }

  private append(executionArn: string, event: NewEvent) {
    let history = this.histories.get(executionArn);
    if (!history) {
      history = [];
      this.histories.set(executionArn, history);
    }
    const numbered = numberEvent(event, history.length + 1, Date.now());
    history.push(numbered);
    this.store.put(`ev/${executionArn}/${numbered.id}`, numbered).catch(() => {
      // The store refuses further writes and reads fail with its error: nothing to add here.
    });
  }

  private finish(executionArn: string, outcome: Outcome) {
    const current = this.fullRecord(executionArn)!;
    const stopDate = Date.now();
    const closed: ExecutionRecord = { ...current, status: outcome.status, stopDate };
    if (outcome.status === 'SUCCEEDED') {
      closed.output = outcome.output;
      this.append(executionArn, {
        type: 'ExecutionSucceeded',
        timestamp: stopDate,
        details: { output: outcome.output, outputDetails: { truncated: false } },
      });
    } else {
      if (outcome.error !== undefined) closed.error = outcome.error;
      if (outcome.cause !== undefined) closed.cause = outcome.cause;
      const details: Record<string, unknown> = {};
      if (outcome.error !== undefined) details.error = outcome.error;
      if (outcome.cause !== undefined) details.cause = outcome.cause;
      const type = { FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted' }[
        outcome.status
      ];
      if (outcome.status === 'TIMED_OUT') details.error = 'States.Timeout';
      this.append(executionArn, { type, timestamp: stopDate, details });
    }
    this.executions.set(executionArn, closed);
    this.running.delete(executionArn);
    this.tokens.closeExecution(executionArn);
    void this.store.put(`ex/${executionArn}`, closed).catch(() => {});
    this.options.awsEvents?.put(executionStatusChangeEvent(closed));
    this.finishedInMemory.add(executionArn);
    this.evictFinished();
  }

  private executionRun(
    execution: ExecutionRecord,
    machine: StateMachineRecord,
    compiled: CompiledDefinition,
    input: unknown,
    resume: Resume | undefined,
  ): ExecutionRun {
    const executionArn = execution.executionArn;
    return new ExecutionRun({
      compiled,
      context: {
        Execution: {
          Id: executionArn,
          Name: execution.name,
          StartTime: new Date(execution.startDate).toISOString(),
          RoleArn: execution.roleArn,
          Input: input,
          RedriveCount: 0,
        },
        StateMachine: { Id: machine.stateMachineArn, Name: machine.name },
      },
      driverFor: (resource) => this.driverFor(resource),
      record: (event) => this.append(executionArn, event),
      finish: (outcome) => this.finish(executionArn, outcome),
      timeScale: this.options.timeScale,
      region: this.options.region,
      stopGraceMs: this.options.stopGraceMs,
      ...(resume !== undefined ? { resume } : {}),
    });
  }

  /**
   * An execution a dead process left RUNNING: readied to resume where its history says it was, or closed at
   * once when it cannot be (FAILED, saying why), has nothing left to run (SUCCEEDED) or ran out of time (TIMED_OUT).
   */
  private prepareResume(execution: ExecutionRecord) {
    const arn = execution.executionArn;
    const history = this.histories.get(arn) ?? [];
    const cannot = (why: string) => {
      for (const task of waitingTasks(history)) this.orphans.push({ ...task, executionArn: arn });
      this.finish(arn, {
        status: 'FAILED',
        error: 'Berth.EngineRestarted',
        cause: `Berth's local Step Functions endpoint stopped while this execution was running, and it cannot be resumed: ${why}. Its ECS tasks, if any, are stopped. Start a new execution to run it again.`,
      });
    };
    const current = this.stateMachines.get(execution.stateMachineArn);
    if (current === undefined) return cannot('its state machine no longer exists');
    const machine = this.stateMachineForExecution(arn);
    if (machine.revisionId !== execution.revisionId) {
      return cannot('the definition it ran with was not kept');
    }
    let compiled: CompiledDefinition;
    let input: unknown;
    try {
      compiled = this.compile(machine.definition);
      input = JSON.parse(execution.input);
    } catch (err) {
      return cannot(`its definition or input no longer parses (${(err as Error).message})`);
    }
    if (Object.hasOwn(compiled.definition.States, RESUME_STATE)) {
      return cannot(`its definition has a state named '${RESUME_STATE}', the name Berth resumes through`);
    }
    const point = resumePoint(compiled.definition, history, execution.input);
    if (point.kind === 'unrecoverable') return cannot(point.reason);
    const timeout = compiled.definition.TimeoutSeconds;
    const deadline = typeof timeout === 'number' ? execution.startDate + timeout * 1000 : undefined;
    if (deadline !== undefined && deadline <= Date.now()) {
      for (const task of waitingTasks(history)) this.orphans.push({ ...task, executionArn: arn });
      return this.finish(arn, { status: 'TIMED_OUT' });
    }
    if (point.kind === 'succeeded') return this.finish(arn, { status: 'SUCCEEDED', output: point.output });
    const taskToken =
      point.since === undefined || compiled.definition.States[point.state]?.Type !== 'Task'
        ? undefined
        : this.resumedToken(arn, point.state, point.since, history);
    const resume: Resume = {
      state: point.state,
      input: point.input,
      replayed: point.replayed,
      ...(point.since !== undefined ? { since: point.since } : {}),
      ...(deadline !== undefined ? { deadline } : {}),
      ...(taskToken !== undefined ? { taskToken } : {}),
    };
    const run = this.executionRun(execution, machine, compiled, input, resume);
    this.running.set(arn, run);
    this.toResume.set(arn, { run, input });
  }
}

/** Whether the history's last Task attempt (after its last TaskScheduled) has its outcome recorded. */
function lastAttemptRecorded(history: readonly HistoryEvent[]): boolean {
  for (let i = history.length - 1; i >= 0; i--) {
    const type = history[i]!.type;
    if (type === 'TaskScheduled') return false;
    if (type === 'TaskSucceeded' || type === 'TaskFailed' || type === 'TaskTimedOut') return true;
  }
  return false;
}

/** The ECS tasks a history's last ecs:runTask.sync state was waiting on when it was cut off, if any. */
function waitingTasks(history: readonly HistoryEvent[]): Array<{ cluster?: string; task: string }> {
  let waiting: Array<{ cluster?: string; task: string }> = [];
  for (const event of history) {
    const submitted = event.taskSubmittedEventDetails as { resourceType?: string; output?: string } | undefined;
    if (event.type === 'TaskSubmitted' && submitted?.resourceType === 'ecs' && submitted.output) {
      try {
        const output = JSON.parse(submitted.output) as { Tasks?: Array<{ TaskArn?: string; ClusterArn?: string }> };
        waiting = (output.Tasks ?? [])
          .filter((t) => t.TaskArn !== undefined)
          .map((t) => ({ task: t.TaskArn!, ...(t.ClusterArn ? { cluster: t.ClusterArn } : {}) }));
      } catch {
        waiting = [];
      }
    } else if (['TaskSucceeded', 'TaskFailed', 'TaskTimedOut'].includes(event.type)) {
      waiting = [];
    }
  }
  return waiting;
}
