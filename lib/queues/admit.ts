/**
 * Runs in queues: a run enters its queue, is admitted when a slot frees, and releases its slot when its execution
 * ends. The run-task workflow's first state, Enter Queue (workflows/run-task.asl.yaml), is a Lambda invoked with
 * `.waitForTaskToken`: the execution waits until the admitting Lambda calls SendTaskSuccess with the token
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token).
 *
 * Admission is event-driven, never a poll: it runs when a run enters its queue (Enter Queue), when a slot is
 * released (the execution's end, recorded by recordRunEvent), when a queue is resumed, and once a minute in the
 * reconciler, which also recovers what an event could not: slots of runs whose execution died, entries of runs that
 * ended while waiting. Each admission is one transaction (lib/queues/store.ts says why no more than the queue's
 * maxConcurrentRuns can ever hold slots).
 *
 * Order and failures:
 * - A run's Lambda may run again (a retried invoke, a restart): its entry's token is replaced, and if it holds a
 *   slot already it resumes itself with the new token.
 * - SendTaskSuccess to a token that is no longer waited on (TaskDoesNotExist, TaskTimedOut, InvalidToken): if the
 *   run has ended its slot is released at once; otherwise its Lambda ran again and resumes itself (above).
 * - SendTaskSuccess that fails otherwise (throttled, unreachable) leaves the slot with its token and the record
 *   without admittedAt: the reconciler resumes the run (lib/queues/reconcile-queues.ts), and the admissions go on.
 * - The record says QUEUED only while the run waits: the Lambda writes it after an admission attempt that did not
 *   admit the run, and the admission writes PENDING; the two changes commute (lib/runs/record-updates.ts).
 */
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { logger } from '../http';
import { errorName } from '../runs/execution';
import { isTerminal, type RunRecord } from '../runs/record';
import { admitted, queued } from '../runs/record-updates';
import { changeRecord, getRecord, type RunStore } from '../runs/run-store';
import { nextToAdmit } from './admission';
import type { Queue } from './config';
import {
  putWaiting,
  type QueueMember,
  type QueueStore,
  readQueueState,
  releaseSlot,
  removeWaiting,
  slotOf,
  takeSlot,
  takeSlotAtOnce,
  waitingRuns,
} from './store';

export interface QueueDeps {
  store: QueueStore;
  runs: RunStore;
  sfn: SFNClient;
  /** The stage's queues (lib/queues/deployed.ts). */
  queues: readonly Queue[];
  now?: () => Date;
}

/** How many waiting runs one admission reads: the next run is among the first of the highest priority. */
const CANDIDATES = 100;
/** Admissions (or lost races) per call: a burst of releases is shared among the calls that release. */
const MAX_ROUNDS = 50;

const now = (deps: QueueDeps) => (deps.now ?? (() => new Date()))();

/** A queue by name; one the file no longer has (runs were waiting in it at a deploy) admits with no limit. */
export function queueNamed(deps: Pick<QueueDeps, 'queues'>, name: string): Queue {
  return deps.queues.find((q) => q.name === name) ?? { name };
}

const TOKEN_GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/**
 * Resumes the admitted run's execution: 'resumed', 'gone' when its token is no longer waited on, 'failed' when
 * Step Functions could not be reached (the reconciler tries again).
 */
export async function resume(
  deps: QueueDeps,
  queue: string,
  taskToken: string,
  admittedAt: string,
): Promise<'resumed' | 'gone' | 'failed'> {
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ queue, admittedAt }) }));
    return 'resumed';
  } catch (err) {
    if (TOKEN_GONE.has(errorName(err) ?? '')) return 'gone';
    logger.warn('Could not resume an admitted run; the reconciler will', { queue, error: err as Error });
    return 'failed';
  }
}

/** After an admission whose token was not waited on: a run that has ended gives its slot back at once. */
async function releaseIfEnded(deps: QueueDeps, queue: string, entry: QueueMember): Promise<void> {
  const record = await getRecord(deps.runs, entry.runId);
  if (record === undefined || isTerminal(record.status)) {
    await releaseSlot(deps.store, queue, entry);
    logger.info('Queue slot released: the admitted run had ended', { queue, runId: entry.runId });
  }
}

/**
 * Admits waiting runs while the queue has free slots and is not paused: the next by priority, fair share and
 * arrival (lib/queues/admission.ts), one transaction each. Returns the run ids admitted.
 */
export async function admit(deps: QueueDeps, queueName: string): Promise<string[]> {
  const queue = queueNamed(deps, queueName);
  const admittedRuns: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const state = await readQueueState(deps.store, queue.name);
    if (state.paused) break;
    if (queue.maxConcurrentRuns !== undefined && state.running >= queue.maxConcurrentRuns) break;
    const next = nextToAdmit(queue, await waitingRuns(deps.store, queue.name, CANDIDATES), state.runningByShare);
    if (next === undefined) break;
    const admittedAt = now(deps).toISOString();
    // Lost a race (another admission, a newer token, a pause): read again.
    if (!(await takeSlot(deps.store, queue, next, admittedAt))) continue;
    admittedRuns.push(next.runId);
    const resumed = await resume(deps, queue.name, next.taskToken, admittedAt);
    if (resumed === 'resumed') await changeRecord(deps.runs, next.runId, admitted(admittedAt));
    else if (resumed === 'gone') await releaseIfEnded(deps, queue.name, next);
  }
  return admittedRuns;
}

/** A run's place in its queue, as the execution input and the record keep it. */
export interface QueuePlace {
  name: string;
  priority: number;
  enqueuedAt: string;
  shareIdentifier?: string | undefined;
}

export const memberOf = (runId: string, q: QueuePlace): QueueMember => ({
  queue: q.name,
  runId,
  priority: q.priority,
  enqueuedAt: q.enqueuedAt,
  ...(q.shareIdentifier !== undefined && { shareIdentifier: q.shareIdentifier }),
});

export type EnterResult = 'admitted' | 'queued';

/**
 * Enter Queue: the run waits for a slot on `taskToken`.
 * A run cancelled meanwhile needs no check here: its token is no longer waited on, so whoever admits it finds that
 * and gives the slot back (releaseIfEnded), and its execution's end takes it out of the waiting list.
 * 1. In a queue with no limit that is not paused, the run takes its slot at once (one transaction): no run can be
 *    ahead of it.
 * 2. Else put the run in its queue, or, if it holds a slot already (its Lambda ran again), resume it at once.
 * 3. Admit from the queue: this run, if a slot is free and it is next (a queue resumed meanwhile admits it here).
 * 4. Not admitted: the record says QUEUED.
 */
export async function enterQueue(
  deps: QueueDeps,
  runId: string,
  queue: QueuePlace,
  taskToken: string,
): Promise<EnterResult> {
  const member = memberOf(runId, queue);
  let holdsSlot = false;
  if (queueNamed(deps, queue.name).maxConcurrentRuns === undefined) {
    const admittedAt = now(deps).toISOString();
    const taken = await takeSlotAtOnce(deps.store, member, taskToken, admittedAt);
    if (taken === 'admitted') {
      const resumed = await resume(deps, queue.name, taskToken, admittedAt);
      if (resumed === 'failed')
        throw new Error(`Run ${runId} holds a slot in queue ${queue.name} but could not be resumed.`);
      if (resumed === 'gone') await releaseIfEnded(deps, queue.name, member);
      else await changeRecord(deps.runs, runId, admitted(admittedAt));
      return 'admitted';
    }
    holdsSlot = taken === 'holds-slot';
  }
  if (holdsSlot || (await putWaiting(deps.store, member, taskToken)) === 'holds-slot') {
    const slot = await slotOf(deps.store, queue.name, runId);
    const admittedAt = slot?.admittedAt ?? now(deps).toISOString();
    if ((await resume(deps, queue.name, taskToken, admittedAt)) === 'failed') {
      throw new Error(`Run ${runId} holds a slot in queue ${queue.name} but could not be resumed.`);
    }
    await changeRecord(deps.runs, runId, admitted(admittedAt));
    return 'admitted';
  }
  if ((await admit(deps, queue.name)).includes(runId)) return 'admitted';
  await changeRecord(deps.runs, runId, queued());
  return 'queued';
}

/**
 * POST /runs, before the run's execution starts: a queue with no limit that is not paused admits the run there and
 * then (one transaction), so its execution skips Enter Queue (workflows/run-task.asl.yaml, Admitted At Start):
 * one Lambda invocation and one SendTaskSuccess fewer per run. The admission time, or undefined when the run is to
 * enter its queue as any other (a queue with a limit, where runs may be waiting ahead of it, or a paused one).
 * A run that holds its slot already (a repeated Idempotency-Key) is admitted.
 */
export async function admitAtStart(
  deps: Pick<QueueDeps, 'store' | 'queues'>,
  runId: string,
  queue: QueuePlace,
  admittedAt: Date,
): Promise<string | undefined> {
  if (queueNamed(deps, queue.name).maxConcurrentRuns !== undefined) return undefined;
  const at = admittedAt.toISOString();
  const taken = await takeSlotAtOnce(deps.store, memberOf(runId, queue), undefined, at);
  return taken === 'paused' ? undefined : at;
}

/** Gives back the slot of a run admitted at its start whose execution never started. */
export async function releaseAtStart(deps: Pick<QueueDeps, 'store'>, runId: string, queue: QueuePlace): Promise<void> {
  await releaseSlot(deps.store, queue.name, memberOf(runId, queue));
}

/**
 * The run's execution ended: its slot is released (once, whatever repeats), a run that ended while waiting leaves
 * the queue, and the queue admits the next runs.
 */
export async function releaseRun(deps: QueueDeps, record: RunRecord): Promise<boolean> {
  const place = record.queue;
  if (place === undefined) return false;
  const member = memberOf(record.runId, place);
  const slot = await slotOf(deps.store, place.name, record.runId);
  const released = slot !== undefined && (await releaseSlot(deps.store, place.name, slot));
  await removeWaiting(deps.store, member);
  // A queue with no limit has no run waiting for a slot (only for a resume, which admits them).
  if (queueNamed(deps, place.name).maxConcurrentRuns !== undefined) await admit(deps, place.name);
  return released;
}
