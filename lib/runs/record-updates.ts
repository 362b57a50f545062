/**
 * The changes writers make to a run record, as pure functions (no I/O): each takes the record and returns the
 * changed record, or undefined when the change would move nothing forward (a repeat, a late event). That is
 * what makes every writer idempotent and order-proof; lib/runs/run-store.ts writes the result conditionally.
 *
 * The orders:
 * - run status: a terminal status is final, except that the execution's own end (Step Functions' status change)
 *   replaces one a cancel or the reconciler wrote ahead of it. Before that, (attempt, phase) only grows, with
 *   phases PENDING < WAITING_FOR_CAPACITY < RUNNING: a WAITING_FOR_CAPACITY of attempt 2 follows RUNNING of
 *   attempt 1, a late WAITING_FOR_CAPACITY of attempt 1 does not. QUEUED is the PENDING phase of a run waiting for
 *   a slot in its queue (once, before its first attempt): set only while the run is PENDING and not yet admitted,
 *   and back to PENDING at its admission, so the two orders of "queued" and "admitted" give the same record.
 * - a task: (lifecycle position of lastStatus, ECS's `version`) only grows. ECS raises `version` with every
 *   change of the task; the lifecycle position also orders the workflow's view of a task (version 0) against
 *   the events'.
 * - the capacity check: the newest `checkedAt` wins.
 */
import {
  type AttemptRecord,
  type CapacityView,
  type ContainerLogging,
  isTerminal,
  type RunQueue,
  type RunRecord,
  type RunSkip,
  type RunStatus,
  type RunTrigger,
  type TaskRecord,
  type TerminalSource,
} from './record';

export type RecordChange = (record: RunRecord) => void;

const PHASE: Partial<Record<RunStatus, number>> = { PENDING: 0, QUEUED: 0, WAITING_FOR_CAPACITY: 1, RUNNING: 2 };

/** The ECS task lifecycle (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html). */
const TASK_LIFECYCLE = [
  'PROVISIONING',
  'PENDING',
  'ACTIVATING',
  'RUNNING',
  'DEACTIVATING',
  'STOPPING',
  'DEPROVISIONING',
  'STOPPED',
  'DELETED',
];

const lifecycle = (lastStatus: string) => {
  const i = TASK_LIFECYCLE.indexOf(lastStatus);
  return Math.max(i, 0);
};

export interface NewRun {
  runId: string;
  family: string;
  taskDefinitionArn: string;
  cluster: string;
  trigger: RunTrigger;
  request: Record<string, unknown>;
  executionInput: Record<string, unknown>;
  principal?: string | undefined;
  idempotency?: { key: string; requestHash: string } | undefined;
  createdAt: Date;
  retentionDays: number;
  /** The task definition's containers, as the record keeps their logging (ContainerLogging). */
  logging?: ContainerLogging[] | undefined;
  /** The queue it waits in for a slot (absent: started without queues). */
  queue?: RunQueue | undefined;
  /** The runs of its trigger it cancelled before it started (concurrencyPolicy Replace). */
  replaced?: string[] | undefined;
}

/** The PENDING record POST /runs writes before it starts the execution. */
export function newRecord(run: NewRun): RunRecord {
  const createdAt = run.createdAt.toISOString();
  const record: RunRecord = {
    runId: run.runId,
    status: 'PENDING',
    attempt: 1,
    family: run.family,
    taskDefinitionArn: run.taskDefinitionArn,
    cluster: run.cluster,
    trigger: run.trigger,
    request: run.request,
    executionInput: run.executionInput,
    createdAt,
    updatedAt: createdAt,
    attempts: [],
    version: 1,
    expiresAt: Math.floor(run.createdAt.getTime() / 1000) + run.retentionDays * 86_400,
    listKey: 'RUN',
    triggerType: run.trigger.type,
  };
  if (run.principal !== undefined) record.principal = run.principal;
  if (run.idempotency !== undefined) record.idempotency = run.idempotency;
  if (run.trigger.name !== undefined) record.triggerName = run.trigger.name;
  if (run.logging !== undefined) record.logging = run.logging;
  if (run.queue !== undefined) {
    record.queue = run.queue;
    record.queueName = run.queue.name;
  }
  if (run.replaced !== undefined && run.replaced.length > 0) record.replaced = run.replaced;
  return record;
}

/**
 * The record of a trigger's firing that was not started (concurrencyPolicy Forbid): the record the run would have
 * had (same id, request and idempotency, so a retried firing lands on it), ended SKIPPED at once. It has no
 * execution, so nothing else ever writes it.
 */
export function skippedRecord(run: NewRun, skipped: RunSkip): RunRecord {
  const { replaced: _, ...rest } = run;
  return { ...newRecord(rest), status: 'SKIPPED', stoppedAt: run.createdAt.toISOString(), skipped };
}

/**
 * Applies a change: the new record (version + 1, updatedAt = now), or undefined when the change left it as it was.
 */
export function applyChange(record: RunRecord, change: RecordChange, now: Date): RunRecord | undefined {
  const next = structuredClone(record);
  change(next);
  if (JSON.stringify(next) === JSON.stringify(record)) return undefined;
  next.version = record.version + 1;
  next.updatedAt = now.toISOString();
  return next;
}

/**
 * Moves the run's status forward to (status, attempt), if that is forward. Once the run has ended only the attempt
 * moves (to the last one seen), so the record is the same whether a late attempt's events come before or after
 * the end.
 */
function advance(record: RunRecord, status: RunStatus, attempt: number) {
  if (isTerminal(record.status)) {
    record.attempt = Math.max(record.attempt, attempt);
    return;
  }
  const from = [record.attempt, PHASE[record.status] ?? 0];
  const to = [attempt, PHASE[status] ?? 0];
  if (to[0]! > from[0]! || (to[0] === from[0] && to[1]! > from[1]!)) {
    record.status = status;
    record.attempt = attempt;
  }
}

function attemptOf(record: RunRecord, attempt: number): AttemptRecord {
  let found = record.attempts.find((a) => a.attempt === attempt);
  if (found === undefined) {
    found = { attempt, tasks: [] };
    record.attempts.push(found);
    record.attempts.sort((a, b) => a.attempt - b.attempt);
  }
  return found;
}

/** The run's startedAt: when its first task started. */
function firstStart(record: RunRecord) {
  const starts = record.attempts.flatMap((a) => a.tasks.flatMap((t) => (t.startedAt ? [t.startedAt] : []))).sort();
  if (starts[0] !== undefined) record.startedAt = starts[0];
}

function mergeTask(attempt: AttemptRecord, task: TaskRecord) {
  const i = attempt.tasks.findIndex((t) => t.taskArn === task.taskArn);
  if (i < 0) {
    attempt.tasks.push(task);
    return;
  }
  const old = attempt.tasks[i]!;
  const newer =
    lifecycle(task.lastStatus) > lifecycle(old.lastStatus) ||
    (lifecycle(task.lastStatus) === lifecycle(old.lastStatus) && task.version > old.version);
  if (!newer) return;
  attempt.tasks[i] = { ...old, ...task, startedAt: task.startedAt ?? old.startedAt } as TaskRecord;
  if (attempt.tasks[i]!.startedAt === undefined) delete attempt.tasks[i]!.startedAt;
}

/**
 * A capacity check (Check Capacity): the newest check is kept (none when the check was skipped: Fargate); WAIT puts
 * the run in WAITING_FOR_CAPACITY.
 */
export function capacityChecked(
  attempt: number,
  check: CapacityView | undefined,
  decision: 'RUN' | 'WAIT' | 'GIVE_UP',
): RecordChange {
  return (record) => {
    if (check !== undefined && (record.capacity === undefined || check.checkedAt >= record.capacity.checkedAt)) {
      record.capacity = check;
    }
    if (decision === 'WAIT') advance(record, 'WAITING_FOR_CAPACITY', attempt);
  };
}

/** A task of the run changed (ECS Task State Change, or the workflow's view of it): RUNNING from its first sign. */
export function taskChanged(attempt: number | undefined, task: TaskRecord): RecordChange {
  return (record) => {
    const n = attempt ?? record.attempt;
    mergeTask(attemptOf(record, n), task);
    advance(record, 'RUNNING', n);
    firstStart(record);
  };
}

export interface AttemptDecision {
  attempt: number;
  outcome: 'FAILED' | 'TIMED_OUT' | 'CANCELLED';
  decision: 'RETRY' | 'EXIT';
  why: string;
  error: { code: string; message: string };
  /** The attempt's tasks as the workflow saw them (version 0: events, when they come, say more). */
  tasks: TaskRecord[];
}

/** Decide Retry's verdict on a failed attempt: its outcome, whether the run tries again, and why. */
export function attemptDecided(decided: AttemptDecision): RecordChange {
  return (record) => {
    const attempt = attemptOf(record, decided.attempt);
    for (const task of decided.tasks) mergeTask(attempt, task);
    attempt.outcome = decided.outcome;
    attempt.retry = { decision: decided.decision, why: decided.why };
    attempt.error = decided.error;
    if (decided.tasks.length > 0) advance(record, 'RUNNING', decided.attempt);
    firstStart(record);
  };
}

/** The run found no free slot in its queue: QUEUED, unless it has been admitted meanwhile or moved on. */
export function queued(): RecordChange {
  return (record) => {
    if (record.queue === undefined || record.queue.admittedAt !== undefined) return;
    if (record.status === 'PENDING' && record.attempts.length === 0) record.status = 'QUEUED';
  };
}

/** The run got a slot in its queue: PENDING again (its capacity check is next). */
export function admitted(admittedAt: string): RecordChange {
  return (record) => {
    if (record.queue === undefined || record.queue.admittedAt !== undefined) return;
    record.queue.admittedAt = admittedAt;
    if (record.status === 'QUEUED') record.status = 'PENDING';
  };
}

export interface RunEnd {
  status: Extract<RunStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT'>;
  stoppedAt: string;
  error?: { code: string; message: string } | undefined;
  source: TerminalSource;
}

/**
 * The run ended: final unless a cancel or the reconciler wrote it and the execution's own end now says otherwise.
 * The attempts' outcomes follow in the view (lib/runs/record.ts outcomeOf).
 */
export function runEnded(end: RunEnd): RecordChange {
  return (record) => {
    if (isTerminal(record.status) && (record.terminalSource === 'execution' || end.source !== 'execution')) return;
    record.status = end.status;
    record.stoppedAt = end.stoppedAt;
    record.terminalSource = end.source;
    if (end.status === 'SUCCEEDED' || end.error === undefined) delete record.error;
    else record.error = end.error;
    if (end.status !== 'SUCCEEDED' && end.error === undefined) {
      record.error = { code: end.status, message: 'The run did not succeed.' };
    }
  };
}
