/**
 * The reconciler (serverless.yml function `reconcileRuns`, every minute): where records that no event will move
 * are repaired. Today: records left PENDING.
 *
 * POST /runs writes the PENDING record, then starts the execution, then answers 202. A crash (or a timeout) between
 * the write and the start leaves a record with no execution, and no 202 was sent. Past PENDING_BOUND_SECONDS no
 * request can still be between the two (the API function times out after 10 s, API Gateway after 29 s), so:
 * - a record with an Idempotency-Key (every triggered run has one) is started: its caller was not told that it
 *   failed and a repeat with the key would start it too (same execution name, same input);
 * - a record without one is failed: its caller never learned its id, and a retry of theirs is another run, so
 *   starting it would run the job twice; a keyed record still without execution after START_WITHIN_SECONDS too.
 * A PENDING record whose execution has ended missed its events: it gets the execution's end.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import { mapLimited } from '../concurrency';
import type { RunsConfig } from './config';
import { describeExecution } from './execution';
import { runEndOf } from './record-events';
import { runEnded } from './record-updates';
import { changeRecord, getRecord, queryIndex, type RunStore } from './run-store';
import { startExecution } from './start-run';
import { isoTime } from './sync-task';

/** How long a record may stay PENDING with no execution: a minute, well past the API's 29 s ceiling. */
export const PENDING_BOUND_SECONDS = 60;
/** How long a keyed record may wait for its start before it is failed instead: a day. */
export const START_WITHIN_SECONDS = 86_400;
/** Records looked at per invocation (pages of 50): more wait for the next minute. */
const MAX_PAGES = 10;

export interface ReconcileDeps {
  store: RunStore;
  sfn: SFNClient;
  config: Pick<RunsConfig, 'stateMachineArn'>;
  now?: () => Date;
}

export type Repair = 'started' | 'failed' | 'ended' | 'running' | 'moved';

async function reconcileOne(deps: ReconcileDeps, runId: string, now: Date): Promise<Repair> {
  const record = await getRecord(deps.store, runId);
  if (record === undefined || record.status !== 'PENDING') return 'moved';
  const execution = await describeExecution(deps, runId);
  if (execution !== undefined) {
    if (execution.status === 'RUNNING' || execution.status === undefined) return 'running';
    const status = execution.status === 'PENDING_REDRIVE' ? 'FAILED' : execution.status;
    const stoppedAt = isoTime(execution.stopDate) ?? now.toISOString();
    await changeRecord(deps.store, runId, runEnded(runEndOf(status, execution.error, execution.cause, stoppedAt)));
    return 'ended';
  }
  const age = (now.getTime() - Date.parse(record.createdAt)) / 1000;
  if (record.idempotency !== undefined && age < START_WITHIN_SECONDS) {
    await startExecution(deps, record);
    return 'started';
  }
  await changeRecord(
    deps.store,
    runId,
    runEnded({
      status: 'FAILED',
      stoppedAt: now.toISOString(),
      source: 'reconciler',
      error: {
        code: 'StartNotConfirmed',
        message:
          record.idempotency === undefined
            ? `The run's execution was never started and POST /runs did not answer 202 (it stopped between writing the run and starting it); nothing was run. Post the run again.`
            : `The run's execution was not started within ${START_WITHIN_SECONDS} s of the request; nothing was run.`,
      },
    }),
  );
  return 'failed';
}

/**
 * One pass.
 * 1. Query the PENDING records created more than PENDING_BOUND_SECONDS ago, oldest first (byStatus index).
 * 2. For each, read the record again (it may have moved) and its execution: start it, fail it, or give it the
 *    execution's end (see the module comment).
 */
export async function reconcileRuns(deps: ReconcileDeps): Promise<Record<Repair, number>> {
  const now = (deps.now ?? (() => new Date()))();
  const createdBefore = new Date(now.getTime() - PENDING_BOUND_SECONDS * 1000).toISOString();
  const counts: Record<Repair, number> = { started: 0, failed: 0, ended: 0, running: 0, moved: 0 };
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await queryIndex(deps.store, {
      index: 'status',
      partition: 'PENDING',
      createdBefore,
      oldestFirst: true,
      limit: 50,
      startKey,
    });
    const ids = (out.Items ?? []).map((item) => String(item.runId));
    for (const repair of await mapLimited(ids, 4, (id) => reconcileOne(deps, id, now))) counts[repair] += 1;
    startKey = out.LastEvaluatedKey;
    if (startKey === undefined) break;
  }
  return counts;
}
