/**
 * A run as GET /runs/{runId} shows it, built from the execution (DescribeExecution) and its
 * history (GetExecutionHistory, every page, oldest first): no table is needed.
 *
 * What the history holds (workflows/run-task.asl.yaml, event shapes as in the Step Functions
 * API Reference, "HistoryEvent"):
 * - ExecutionStarted: the ExecutionInput;
 * - Check Capacity's TaskStateExited: the state with `check` (the last capacity check);
 * - a Run Task state's TaskSubmitted (the RunTask response: the attempt's task ARNs),
 *   TaskSucceeded (the stopped task object) or TaskFailed (the task object as `cause`) or
 *   TaskTimedOut; the attempt number is `check.attempt` of that state's entered input;
 * - Decide Retry's TaskStateExited: the state with `outcome` (the attempt's outcome and whether,
 *   and why, it was retried);
 * - ExecutionFailed / ExecutionAborted / ExecutionTimedOut: how the run ended.
 * A RunTask that placed nothing (failures[], back to Check Capacity) is not an attempt.
 */
import type { DescribeExecutionOutput, HistoryEvent } from '@aws-sdk/client-sfn';
import { isoTime, parseJson, readRunTaskArns, readSyncTask, type TaskSummary } from './sync-task';
import type { AttemptView, ExecutionInput, RunStatus, RunView } from './types';
import { type CapacityCheck, capacityView, RUN_TASK_STATES, States, type WorkflowState } from './workflow';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function stateOf(raw: string | undefined): Partial<WorkflowState> | undefined {
  const value = parseJson(raw);
  return isObject(value) ? (value as Partial<WorkflowState>) : undefined;
}

/** An error's cause as a person reads it: a Lambda error's message rather than its JSON envelope. */
export function readableCause(cause: string | undefined, fallback: string): string {
  if (cause === undefined || cause === '') return fallback;
  const parsed = parseJson(cause);
  if (isObject(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  return cause;
}

export function runView(execution: DescribeExecutionOutput, events: HistoryEvent[]): RunView {
  const ordered = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const started = ordered.find((e) => e.type === 'ExecutionStarted');
  const input = (stateOf(execution.input ?? started?.executionStartedEventDetails?.input) ??
    {}) as Partial<ExecutionInput>;

  const attempts = new Map<number, AttemptView>();
  const attemptOf = (n: number): AttemptView => {
    let view = attempts.get(n);
    if (view === undefined) {
      view = { attempt: n, taskArns: [], containers: [], outcome: 'RUNNING' };
      attempts.set(n, view);
    }
    return view;
  };

  let current: string | undefined;
  let currentAttempt = 1;
  let lastCheck: CapacityCheck | undefined;
  let terminalError: { code: string; message: string } | undefined;

  for (const event of ordered) {
    const at = isoTime(event.timestamp);
    const entered = event.stateEnteredEventDetails;
    if (entered !== undefined) {
      current = entered.name;
      const check = stateOf(entered.input)?.check;
      if (check?.attempt !== undefined) currentAttempt = check.attempt;
      continue;
    }
    const exited = event.stateExitedEventDetails;
    if (exited !== undefined) {
      const output = stateOf(exited.output);
      if (exited.name === States.CheckCapacity && output?.check !== undefined) lastCheck = output.check;
      if (exited.name === States.DecideRetry && output?.outcome !== undefined) {
        const verdict = output.outcome;
        const view = attemptOf(verdict.attempt);
        if (view.taskArns.length === 0) view.taskArns = verdict.taskArns;
        if (view.containers.length === 0) view.containers = verdict.containers;
        view.startedAt ??= verdict.startedAt;
        view.stoppedAt ??= verdict.stoppedAt ?? at;
        view.stopCode ??= verdict.stopCode;
        view.stoppedReason ??= verdict.stoppedReason;
        view.outcome = verdict.outcome;
        view.retry = { decision: verdict.decision, why: verdict.why };
        dropUndefined(view);
      }
      continue;
    }
    const inRunTask = current !== undefined && RUN_TASK_STATES.includes(current);
    switch (event.type) {
      case 'TaskSubmitted': {
        if (!inRunTask) break;
        const arns = readRunTaskArns(parseJson(event.taskSubmittedEventDetails?.output));
        if (arns.length === 0) break;
        const view = attemptOf(currentAttempt);
        view.taskArns = arns;
        view.startedAt ??= at;
        break;
      }
      case 'TaskSucceeded': {
        if (!inRunTask) break;
        const task = readSyncTask(parseJson(event.taskSucceededEventDetails?.output));
        const view = attemptOf(currentAttempt);
        if (task !== undefined) fill(view, task);
        view.stoppedAt ??= at;
        view.outcome = 'SUCCEEDED';
        break;
      }
      case 'TaskFailed': {
        if (!inRunTask) break;
        const task = readSyncTask(parseJson(event.taskFailedEventDetails?.cause));
        if (task === undefined) break; // RunTask refused or placed nothing: Decide Retry or a re-check follows.
        const view = attemptOf(currentAttempt);
        fill(view, task);
        view.stoppedAt ??= at;
        view.outcome = 'FAILED';
        break;
      }
      case 'TaskTimedOut': {
        if (!inRunTask) break;
        attemptOf(currentAttempt).outcome = 'TIMED_OUT';
        break;
      }
      case 'ExecutionFailed': {
        const d = event.executionFailedEventDetails;
        terminalError = { code: d?.error ?? 'States.Runtime', message: readableCause(d?.cause, 'The run failed.') };
        break;
      }
      case 'ExecutionAborted': {
        const d = event.executionAbortedEventDetails;
        terminalError = { code: d?.error ?? 'Cancelled', message: readableCause(d?.cause, 'The run was cancelled.') };
        break;
      }
      case 'ExecutionTimedOut': {
        const d = event.executionTimedOutEventDetails;
        terminalError = {
          code: d?.error ?? 'States.Timeout',
          message: readableCause(d?.cause, 'The run exceeded its time limit.'),
        };
        break;
      }
    }
  }

  const list = [...attempts.values()].sort((a, b) => a.attempt - b.attempt);
  const status = runStatus(execution, terminalError, current, lastCheck, list);
  if (status === 'CANCELLED' || status === 'TIMED_OUT' || status === 'FAILED') {
    for (const a of list) if (a.outcome === 'RUNNING') a.outcome = status === 'FAILED' ? 'FAILED' : status;
  }

  const view: RunView = {
    runId: input.runId ?? execution.name ?? '',
    status,
    taskDefinitionArn: input.taskDefinitionArn ?? '',
    cluster: input.runTask?.Cluster ?? '',
    createdAt: input.submittedAt ?? isoTime(execution.startDate) ?? '',
    attempts: list,
  };
  if (input.trigger !== undefined) view.trigger = input.trigger;
  const startedAt = list.find((a) => a.startedAt !== undefined)?.startedAt;
  if (startedAt !== undefined) view.startedAt = startedAt;
  const stoppedAt = isoTime(execution.stopDate);
  if (stoppedAt !== undefined && status !== 'RUNNING' && status !== 'PENDING' && status !== 'WAITING_FOR_CAPACITY') {
    view.stoppedAt = stoppedAt;
  }
  if (lastCheck !== undefined && lastCheck.checked !== false) view.capacity = capacityView(lastCheck);
  if (status !== 'SUCCEEDED' && isTerminal(status)) {
    view.error =
      terminalError ??
      (execution.error !== undefined
        ? { code: execution.error, message: readableCause(execution.cause, 'The run did not succeed.') }
        : { code: status, message: 'The run did not succeed.' });
  }
  return view;
}

function isTerminal(status: RunStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED' || status === 'TIMED_OUT';
}

function runStatus(
  execution: DescribeExecutionOutput,
  terminalError: { code: string } | undefined,
  current: string | undefined,
  lastCheck: CapacityCheck | undefined,
  attempts: AttemptView[],
): RunStatus {
  switch (execution.status) {
    case 'SUCCEEDED':
      return 'SUCCEEDED';
    case 'ABORTED':
      return 'CANCELLED';
    case 'TIMED_OUT':
      return 'TIMED_OUT';
    case 'FAILED':
    case 'PENDING_REDRIVE':
      return (terminalError?.code ?? execution.error) === 'TaskTimedOut' ? 'TIMED_OUT' : 'FAILED';
  }
  if (current === States.WaitForCapacity) return 'WAITING_FOR_CAPACITY';
  if ((current === States.CheckCapacity || current === States.IsThereRoom) && lastCheck?.decision === 'WAIT') {
    return 'WAITING_FOR_CAPACITY';
  }
  return attempts.length > 0 ? 'RUNNING' : 'PENDING';
}

function fill(view: AttemptView, task: TaskSummary) {
  if (!view.taskArns.includes(task.taskArn)) view.taskArns = [...view.taskArns, task.taskArn];
  view.containers = task.containers;
  if (task.startedAt !== undefined) view.startedAt = task.startedAt;
  if (task.stoppedAt !== undefined) view.stoppedAt = task.stoppedAt;
  if (task.stopCode !== undefined) view.stopCode = task.stopCode;
  if (task.stoppedReason !== undefined) view.stoppedReason = task.stoppedReason;
}

function dropUndefined(view: AttemptView) {
  for (const key of Object.keys(view) as Array<keyof AttemptView>) if (view[key] === undefined) delete view[key];
}
