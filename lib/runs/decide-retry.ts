/**
 * The Decide Retry use case: a Run Task state failed (its Catch wrote `{Error, Cause}` to
 * `$.failure`); say what the attempt's outcome was and whether the run tries again.
 * 1. A timeout (`States.Timeout`): stop the attempt's tasks (found by `startedBy` = the run id,
 *    since the timeout's Cause names none), outcome TIMED_OUT, never retried.
 * 2. A task that ran or failed to start (`States.TaskFailed` with the task object as its Cause):
 *    outcome FAILED; the run's retry policy (AWS Batch's rules, lib/runs/retry-policy.ts) decides.
 * 3. Anything else (ECS refused RunTask: `ECS.InvalidParameterException`, `ECS.AccessDeniedException`,
 *    ...): the request itself is wrong, so trying it again cannot help: outcome FAILED, EXIT.
 */
import { type ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { backoffSeconds, decideRetry } from './retry-policy';
import { decidingContainer, parseJson, readSyncTask } from './sync-task';
import { type AttemptVerdict, currentAttempt, type WorkflowState } from './workflow';

export interface DecideRetryDeps {
  ecs: ECSClient;
}

/** Error codes a run can end with (besides ECS's own, passed through). */
export const RunErrorCodes = {
  InsufficientCapacity: 'InsufficientCapacity',
  TaskFailed: 'TaskFailed',
  TaskTimedOut: 'TaskTimedOut',
} as const;

export async function decideAttempt(deps: DecideRetryDeps, state: WorkflowState): Promise<WorkflowState> {
  const attempt = currentAttempt(state);
  const failure = state.failure ?? { Error: 'States.TaskFailed' };
  let outcome: AttemptVerdict;
  if (failure.Error === 'States.Timeout') {
    outcome = await timedOut(deps, state, attempt);
  } else {
    const task = readSyncTask(parseJson(failure.Cause));
    outcome = task === undefined ? refused(attempt, failure) : failed(state, attempt, task);
  }
  return { ...state, outcome };
}

async function timedOut(deps: DecideRetryDeps, state: WorkflowState, attempt: number): Promise<AttemptVerdict> {
  const seconds = state.check?.timeoutSeconds ?? state.timeoutSeconds;
  const reason = `Berth run ${state.runId}: attempt ${attempt} timed out after ${seconds} s`;
  const taskArns = await stopRunTasks(deps.ecs, state.runTask.Cluster, state.runId, reason);
  return {
    attempt,
    outcome: 'TIMED_OUT',
    decision: 'EXIT',
    why: `The attempt ran longer than timeoutSeconds (${seconds} s): its tasks were stopped and a timed-out attempt is not retried.`,
    error: { code: RunErrorCodes.TaskTimedOut, message: `${reason}.` },
    taskArns,
    containers: [],
  };
}

function failed(state: WorkflowState, attempt: number, task: ReturnType<typeof readSyncTask> & object): AttemptVerdict {
  const container = decidingContainer(task.containers);
  const facts = {
    ...(container?.exitCode === undefined ? {} : { exitCode: container.exitCode }),
    ...(container?.reason === undefined ? {} : { reason: container.reason }),
    ...(task.stoppedReason === undefined ? {} : { statusReason: task.stoppedReason }),
  };
  const verdict = decideRetry(state.retry, attempt, facts);
  const what =
    container === undefined
      ? (task.stoppedReason ?? 'The task failed')
      : container.exitCode === undefined
        ? `Container ${container.name} did not exit normally (${container.reason ?? task.stoppedReason ?? task.stopCode ?? 'no exit code'})`
        : `Container ${container.name} exited with code ${container.exitCode}`;
  return {
    attempt,
    outcome: 'FAILED',
    decision: verdict.decision,
    why: verdict.why,
    ...(verdict.decision === 'RETRY'
      ? { backoffSeconds: backoffSeconds(state.retry, attempt), nextAttempt: attempt + 1 }
      : {}),
    error: { code: RunErrorCodes.TaskFailed, message: `${what} on attempt ${attempt} of ${state.retry.attempts}.` },
    taskArns: [task.taskArn],
    ...(task.startedAt === undefined ? {} : { startedAt: task.startedAt }),
    ...(task.stoppedAt === undefined ? {} : { stoppedAt: task.stoppedAt }),
    ...(task.stopCode === undefined ? {} : { stopCode: task.stopCode }),
    ...(task.stoppedReason === undefined ? {} : { stoppedReason: task.stoppedReason }),
    containers: task.containers,
  };
}

function refused(attempt: number, failure: { Error: string; Cause?: string }): AttemptVerdict {
  const message = failure.Cause && failure.Cause !== '' ? failure.Cause : failure.Error;
  return {
    attempt,
    outcome: 'FAILED',
    decision: 'EXIT',
    why: `RunTask was refused (${failure.Error}): the request itself is at fault, so it is not retried.`,
    error: { code: failure.Error, message },
    taskArns: [],
    containers: [],
  };
}

/** Stops the run's running tasks; returns their ARNs. A task that stopped meanwhile is not an error. */
export async function stopRunTasks(ecs: ECSClient, cluster: string, runId: string, reason: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTasksCommand({ cluster, startedBy: runId, desiredStatus: 'RUNNING', nextToken }),
    );
    arns.push(...(page.taskArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  await Promise.all(arns.map((task) => ecs.send(new StopTaskCommand({ cluster, task, reason: reason.slice(0, 255) }))));
  return arns;
}
