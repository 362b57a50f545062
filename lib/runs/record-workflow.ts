/**
 * What only the run-task workflow's Lambdas know, recorded in the run's record: the capacity checks (a WAIT puts
 * the run in WAITING_FOR_CAPACITY, with the shortfall) and the verdict on each failed attempt (its outcome, the
 * retry decision and why). Each is an ordered change (lib/runs/record-updates.ts): a Lambda that Step Functions
 * runs again writes nothing new.
 */
import { logger } from '../http';
import type { CapacityView, RunRecord, TaskRecord } from './record';
import { attemptDecided, capacityChecked } from './record-updates';
import { changeRecord, type RunStore } from './run-store';
import { type AttemptVerdict, type CapacityCheck, capacityView, type WorkflowState } from './workflow';

/** The check as the record keeps it; none for a check that was skipped (Fargate has no instances to look at). */
function capacityOf(check: CapacityCheck): CapacityView | undefined {
  return check.checked ? capacityView(check) : undefined;
}

/** The tasks of a failed attempt as the workflow saw them: the failed task in full, a timed-out attempt's by ARN. */
function tasksOf(verdict: AttemptVerdict): TaskRecord[] {
  return verdict.taskArns.map((taskArn, i) => {
    if (verdict.outcome === 'TIMED_OUT' || i > 0) {
      // Being stopped by Decide Retry; the task's own STOPPED event says the rest.
      return {
        taskArn,
        lastStatus: verdict.outcome === 'TIMED_OUT' ? 'STOPPING' : 'STOPPED',
        version: 0,
        containers: [],
      };
    }
    const task: TaskRecord = { taskArn, lastStatus: 'STOPPED', version: 0, containers: verdict.containers };
    if (verdict.startedAt !== undefined) task.startedAt = verdict.startedAt;
    if (verdict.stoppedAt !== undefined) task.stoppedAt = verdict.stoppedAt;
    if (verdict.stopCode !== undefined) task.stopCode = verdict.stopCode;
    if (verdict.stoppedReason !== undefined) task.stoppedReason = verdict.stoppedReason;
    return task;
  });
}

async function record(
  store: RunStore,
  runId: string,
  what: string,
  change: Parameters<typeof changeRecord>[2],
  read?: Promise<RunRecord | undefined>,
) {
  const result = await changeRecord(store, runId, change, read);
  // An execution started without a record (by hand, or before the runs table existed) runs as before.
  if (!result.found) logger.warn(`Run ${runId} has no record; the ${what} is not recorded.`);
}

/**
 * After Check Capacity: the check, and WAITING_FOR_CAPACITY when the run waits. `read` is the record as read while
 * the check ran (its write is conditional on that version, so a change since is read again).
 */
export async function recordCapacityCheck(
  store: RunStore,
  state: WorkflowState,
  read?: Promise<RunRecord | undefined>,
): Promise<void> {
  if (state.check === undefined) return;
  const { attempt, decision } = state.check;
  await record(store, state.runId, 'capacity check', capacityChecked(attempt, capacityOf(state.check), decision), read);
}

/** After Decide Retry: the attempt's outcome, its tasks, and whether (and why) the run tries again. */
export async function recordAttemptVerdict(store: RunStore, state: WorkflowState): Promise<void> {
  const verdict = state.outcome;
  if (verdict === undefined) return;
  await record(
    store,
    state.runId,
    'retry decision',
    attemptDecided({
      attempt: verdict.attempt,
      outcome: verdict.outcome,
      decision: verdict.decision,
      why: verdict.why,
      error: verdict.error,
      tasks: tasksOf(verdict),
    }),
  );
}
