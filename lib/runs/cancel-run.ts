/**
 * POST /runs/{runId}/cancel.
 */
import { type SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ConflictError, NotFoundError } from '../errors';
import type { RunsConfig } from './config';
import { describeExecution, executionArnOf } from './execution';
import type { RunStatus } from './types';

export const CANCEL_ERROR = 'Berth.Cancelled';

/**
 * Cancels a run.
 * 1. Describe the execution (404 when there is none, 409 when it has already finished).
 * 2. Stop it with a cause naming the cancel. Stopping the execution stops its ECS task (Step
 *    Functions does it for `.sync` tasks; the local engine does the same), asynchronously: 202.
 */
export async function cancelRun(
  deps: { sfn: SFNClient; config: RunsConfig; now?: () => Date },
  { runId: id, requestId }: { runId: string; requestId: string },
) {
  const execution = await describeExecution(deps, id);
  if (execution === undefined) throw new NotFoundError(`Run ${id} does not exist.`);
  if (execution.status !== 'RUNNING') {
    throw new ConflictError(
      `Run ${id} has already finished (execution ${execution.status}); there is nothing to cancel.`,
    );
  }
  const out = await deps.sfn.send(
    new StopExecutionCommand({
      executionArn: execution.executionArn ?? executionArnOf(deps.config, id),
      error: CANCEL_ERROR,
      cause: `Run ${id} was cancelled through POST /runs/${id}/cancel${requestId ? ` (request ${requestId})` : ''}.`,
    }),
  );
  return {
    runId: id,
    status: 'CANCELLED' as RunStatus,
    stoppedAt: (out.stopDate ?? (deps.now ?? (() => new Date()))()).toISOString(),
  };
}
