/**
 * POST /runs/{runId}/cancel.
 */
import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ConflictError, NotFoundError } from '../errors';
import type { RunsConfig } from './config';
import { errorName, executionArnOf } from './execution';
import { isTerminal } from './record';
import { runEnded } from './record-updates';
import { changeRecord, getRecord, type RunStore } from './run-store';
import type { RunStatus } from './types';

export const CANCEL_ERROR = 'Berth.Cancelled';

/**
 * Cancels a run.
 * 1. Read its record (404 when there is none, 409 when it has already ended).
 * 2. Stop its execution with a cause naming the cancel. Stopping the execution stops its ECS task (Step Functions
 *    does it for `.sync` tasks; the local engine does the same). A run whose execution was never started (a
 *    PENDING record) has nothing to stop.
 * 3. Record CANCELLED at once, so the next GET says so. The execution's own end (its status change event) has
 *    the last word: it confirms CANCELLED, or, if the execution ended on its own before the stop, replaces it.
 */
export async function cancelRun(
  deps: { sfn: SFNClient; config: RunsConfig; store: RunStore; now?: () => Date },
  {
    runId: id,
    requestId,
    cause: given,
  }: {
    runId: string;
    requestId: string;
    /** Why, when another use case cancels it (a trigger's concurrencyPolicy Replace); default: the API call. */
    cause?: string;
  },
) {
  const record = await getRecord(deps.store, id);
  if (record === undefined) throw new NotFoundError(`Run ${id} does not exist.`);
  if (isTerminal(record.status)) {
    throw new ConflictError(`Run ${id} has already finished (${record.status}); there is nothing to cancel.`);
  }
  const cause =
    given ?? `Run ${id} was cancelled through POST /runs/${id}/cancel${requestId ? ` (request ${requestId})` : ''}.`;
  let stopDate: Date | undefined;
  try {
    const out = await deps.sfn.send(
      new StopExecutionCommand({ executionArn: executionArnOf(deps.config, id), error: CANCEL_ERROR, cause }),
    );
    stopDate = out.stopDate;
  } catch (err) {
    if (errorName(err) !== 'ExecutionDoesNotExist') throw err;
  }
  const stoppedAt = (stopDate ?? (deps.now ?? (() => new Date()))()).toISOString();
  const result = await changeRecord(
    deps.store,
    id,
    runEnded({ status: 'CANCELLED', stoppedAt, error: { code: CANCEL_ERROR, message: cause }, source: 'cancel' }),
  );
  const status: RunStatus = result.found ? result.record.status : 'CANCELLED';
  return { runId: id, status, stoppedAt: result.found ? (result.record.stoppedAt ?? stoppedAt) : stoppedAt };
}
