/**
 * GET /runs/{runId}: the run's record (lib/runs/record.ts), one consistent GetItem and nothing else: no Step
 * Functions call, so polling runs costs none of the account's Step Functions quota.
 */
import { NotFoundError } from '../errors';
import type { Queue } from '../queues/config';
import type { QueueStore } from '../queues/store';
import { waitingView } from '../queues/views';
import { runView } from './record';
import { getRecord, type RunStore } from './run-store';
import type { RunView } from './types';

/**
 * One run.
 * 1. Read its record (consistent: a poll right after POST /runs or a cancel sees it).
 * 2. 404 when there is none (never started, or expired after the stage's runRetentionDays); else its view.
 * 3. A QUEUED run also gets its position and what it waits for, from its queue (two more consistent reads).
 */
export async function getRun(
  store: RunStore,
  runId: string,
  queues?: { store: QueueStore; queues: readonly Queue[] },
): Promise<RunView> {
  const record = await getRecord(store, runId);
  if (record === undefined) throw new NotFoundError(`Run ${runId} does not exist.`);
  const view = runView(record);
  if (record.status === 'QUEUED' && record.queue !== undefined && queues !== undefined) {
    const waiting = await waitingView(queues.store, queues.queues, record.queue, runId);
    view.queue = { ...record.queue, ...waiting };
    view.waitingFor = waiting.waitingFor;
  }
  return view;
}
