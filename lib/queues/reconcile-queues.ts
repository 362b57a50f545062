/**
 * The queues' part of the reconciler (functions/reconcile-runs.ts, every minute): what no event will repair.
 * - A slot whose run has ended, or whose execution has ended though the record missed it, is released (and the
 *   record gets the execution's end).
 * - A slot whose run was never resumed (SendTaskSuccess failed after the admission) resumes it with the slot's token.
 * - A waiting entry of such a run leaves the queue.
 * - Then each queue admits: a release whose admission failed (a crash between the two) is made good within a
 *   minute.
 * Runs younger than SETTLE_SECONDS are left alone: their Lambda may be between its writes.
 */
import { mapLimited } from '../concurrency';
import { describeExecution } from '../runs/execution';
import { isTerminal } from '../runs/record';
import { runEndOf } from '../runs/record-events';
import { admitted, runEnded } from '../runs/record-updates';
import { changeRecord, getRecord } from '../runs/run-store';
import { isoTime } from '../runs/sync-task';
import { admit, type QueueDeps, resume } from './admit';
import { allWaitingRuns, releaseSlot, removeWaiting, slots } from './store';

const SETTLE_SECONDS = 60;

export interface QueueRepairs {
  released: number;
  resumed: number;
  removed: number;
  admitted: number;
}

/** Whether the run is over: its record says so, or its execution has ended (then the record is given that end). */
async function runIsOver(deps: QueueDeps & { config: { stateMachineArn: string } }, runId: string): Promise<boolean> {
  const record = await getRecord(deps.runs, runId);
  if (record === undefined || isTerminal(record.status)) return true;
  const execution = await describeExecution({ sfn: deps.sfn, config: deps.config }, runId);
  if (execution === undefined) return false; // Not started yet: the runs reconciler starts or fails it.
  if (execution.status === 'RUNNING' || execution.status === undefined) return false;
  const status = execution.status === 'PENDING_REDRIVE' ? 'FAILED' : execution.status;
  const stoppedAt = isoTime(execution.stopDate) ?? new Date().toISOString();
  await changeRecord(deps.runs, runId, runEnded(runEndOf(status, execution.error, execution.cause, stoppedAt)));
  return true;
}

/** One pass over every queue of the stage. */
export async function reconcileQueues(
  deps: QueueDeps & { config: { stateMachineArn: string } },
): Promise<QueueRepairs> {
  const now = (deps.now ?? (() => new Date()))().getTime();
  const settled = (time: string) => now - Date.parse(time) > SETTLE_SECONDS * 1000;
  const repairs: QueueRepairs = { released: 0, resumed: 0, removed: 0, admitted: 0 };
  for (const queue of deps.queues) {
    const held = (await slots(deps.store, queue.name)).filter((s) => settled(s.admittedAt));
    await mapLimited(held, 4, async (slot) => {
      if (await runIsOver(deps, slot.runId)) {
        if (await releaseSlot(deps.store, queue.name, slot)) repairs.released += 1;
        return;
      }
      const record = await getRecord(deps.runs, slot.runId);
      if (record?.queue !== undefined && record.queue.admittedAt === undefined && slot.taskToken !== undefined) {
        const resumed = await resume(deps, queue.name, slot.taskToken, slot.admittedAt);
        if (resumed === 'resumed') {
          await changeRecord(deps.runs, slot.runId, admitted(slot.admittedAt));
          repairs.resumed += 1;
        }
      }
    });
    const { entries } = await allWaitingRuns(deps.store, queue.name, 2);
    await mapLimited(
      entries.filter((e) => settled(e.enqueuedAt)),
      4,
      async (entry) => {
        if (await runIsOver(deps, entry.runId)) {
          await removeWaiting(deps.store, entry);
          repairs.removed += 1;
        }
      },
    );
    repairs.admitted += (await admit(deps, queue.name)).length;
  }
  return repairs;
}
