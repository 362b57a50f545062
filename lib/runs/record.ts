/**
 * The run record: one item per run in the runs table (deploy/runs-table.js), declared once here as a zod schema,
 * with the run view (GET /runs/{runId}) and the list item (GET /runs) derived from it.
 *
 * Writers never write a field by itself: each reads the record, applies one change with the pure functions of
 * lib/runs/record-updates.ts and writes the whole item back on the condition that `version` is still the one it
 * read (lib/runs/run-store.ts). The changes themselves are ordered (a late or repeated event is a no-op), so the
 * record converges whatever order the writers run in.
 */
import * as z from 'zod/mini';
import { logLocation } from '../logs/location';

const isoTime = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T/, 'an ISO-8601 timestamp'));

export const RUN_STATUSES = [
  'PENDING',
  'QUEUED',
  'WAITING_FOR_CAPACITY',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
  'SKIPPED',
] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.output<typeof RunStatusSchema>;

/** SKIPPED: a trigger's firing that its concurrencyPolicy (Forbid) did not start; it never had an execution. */
export const TERMINAL_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED'];
export const isTerminal = (status: RunStatus) => TERMINAL_STATUSES.includes(status);

export const TRIGGER_TYPES = ['api', 'schedule', 'event'] as const;

export const RunTriggerSchema = z.object({
  type: z.enum(TRIGGER_TYPES),
  name: z.optional(z.string()),
  eventId: z.optional(z.string()),
});

export const ContainerSchema = z.object({
  name: z.string(),
  exitCode: z.optional(z.int()),
  reason: z.optional(z.string()),
});

export const RunErrorSchema = z.object({ code: z.string(), message: z.string() });

/** Why a firing was SKIPPED (lib/triggers/concurrency-policy.ts): the run of the trigger it would have overlapped. */
export const RunSkipSchema = z.object({ reason: z.string(), overlappedRunId: z.string() });

/** One ECS task of an attempt, as its last ECS Task State Change (or the `.sync` output) told it. */
export const TaskRecordSchema = z.object({
  taskArn: z.string(),
  lastStatus: z.string(),
  /**
   * The task's `version` in ECS's events (it grows with every change of the task); a change with a version not
   * above this one is stale or a repeat. 0 when the task is known only from the workflow (no version given).
   */
  version: z.int(),
  startedAt: z.optional(isoTime),
  stoppedAt: z.optional(isoTime),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  containers: z.array(ContainerSchema),
});

export const ATTEMPT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'RUNNING'] as const;

export const RetryDecisionSchema = z.object({ decision: z.enum(['RETRY', 'EXIT']), why: z.string() });

export const AttemptRecordSchema = z.object({
  /** 1-based. */
  attempt: z.int(),
  tasks: z.array(TaskRecordSchema),
  /**
   * Set by Decide Retry's verdict only. Otherwise the view derives it from the run (runView): RUNNING while the run
   * runs, the run's end for its last attempt, FAILED for an earlier one. Stored, an end arriving before a late
   * attempt's events would have to be re-applied to it; derived, the order cannot matter.
   */
  outcome: z.optional(z.enum(['FAILED', 'TIMED_OUT', 'CANCELLED'])),
  retry: z.optional(RetryDecisionSchema),
  error: z.optional(RunErrorSchema),
});

/** What a capacity check found short (lib/placement's Shortfall): the tasks that do not fit and why. */
export const ShortfallSchema = z.object({
  tasks: z.int(),
  cpu: z.optional(z.number()),
  memory: z.optional(z.number()),
  reason: z.optional(z.string()),
});

export const CapacitySchema = z.object({
  checkedAt: isoTime,
  fits: z.boolean(),
  placeableCount: z.int(),
  instanceCount: z.int(),
  shortfall: z.optional(ShortfallSchema),
});

/**
 * How a container of the run's task definition logs, kept from when the run was created (a registered revision never
 * changes): with a task's ARN it names the container's CloudWatch Logs stream (lib/logs/location.ts).
 */
export const ContainerLoggingSchema = z.object({
  name: z.string(),
  essential: z.boolean(),
  logConfiguration: z.optional(
    z.object({ logDriver: z.string(), options: z.optional(z.record(z.string(), z.string())) }),
  ),
});

/**
 * The queue a run waits in for a slot (lib/queues/): its place, kept from POST /runs, and when it was admitted.
 * Absent on records older than queues.
 */
export const RunQueueSchema = z.object({
  name: z.string(),
  priority: z.int(),
  shareIdentifier: z.optional(z.string()),
  /** The run's place among runs of its priority: when it was created. */
  enqueuedAt: isoTime,
  admittedAt: z.optional(isoTime),
});

/** Who wrote a terminal status: the execution's own end is the truth and replaces one a cancel or repair wrote. */
export const TERMINAL_SOURCES = ['execution', 'cancel', 'reconciler'] as const;
export type TerminalSource = (typeof TERMINAL_SOURCES)[number];

export const RunRecordSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  /** The attempt `status` is about (PENDING, WAITING_FOR_CAPACITY and RUNNING are ordered within it). */
  attempt: z.int(),
  family: z.string(),
  taskDefinitionArn: z.string(),
  cluster: z.string(),
  trigger: RunTriggerSchema,
  /** The POST /runs body after validation and the stage's defaults. */
  request: z.record(z.string(), z.unknown()),
  /** What StartExecution was (or is to be) called with: a repeat or the reconciler completes the start with it. */
  executionInput: z.record(z.string(), z.unknown()),
  /** The IAM principal that asked (API Gateway's AWS_IAM identity), when there was one. */
  principal: z.optional(z.string()),
  idempotency: z.optional(z.object({ key: z.string(), requestHash: z.string() })),
  createdAt: isoTime,
  startedAt: z.optional(isoTime),
  stoppedAt: z.optional(isoTime),
  updatedAt: isoTime,
  attempts: z.array(AttemptRecordSchema),
  /** Each container's log configuration, from the task definition (absent on records older than this field). */
  logging: z.optional(z.array(ContainerLoggingSchema)),
  capacity: z.optional(CapacitySchema),
  queue: z.optional(RunQueueSchema),
  error: z.optional(RunErrorSchema),
  terminalSource: z.optional(z.enum(TERMINAL_SOURCES)),
  /** Set on a SKIPPED record only. */
  skipped: z.optional(RunSkipSchema),
  /** The runs of the same trigger this run cancelled before it started (concurrencyPolicy Replace). */
  replaced: z.optional(z.array(z.string())),
  /** Grows by one with every write: the condition of the next one (optimistic concurrency). */
  version: z.int(),
  /** Epoch seconds: DynamoDB's TTL deletes the record after the stage's runRetentionDays. */
  expiresAt: z.int(),
  // Index keys (deploy/runs-table.js), kept beside the fields they copy so a query needs no other read.
  /** Constant partition of the newest-first index over all runs. */
  listKey: z.literal('RUN'),
  triggerType: z.enum(TRIGGER_TYPES),
  triggerName: z.optional(z.string()),
  queueName: z.optional(z.string()),
});

export type RunRecord = z.output<typeof RunRecordSchema>;
export type TaskRecord = z.output<typeof TaskRecordSchema>;
export type AttemptRecord = z.output<typeof AttemptRecordSchema>;
export type RunTrigger = z.output<typeof RunTriggerSchema>;
export type RunQueue = z.output<typeof RunQueueSchema>;
export type RunSkip = z.output<typeof RunSkipSchema>;
export type ContainerView = z.output<typeof ContainerSchema>;
export type CapacityView = z.output<typeof CapacitySchema>;
export type ContainerLogging = z.output<typeof ContainerLoggingSchema>;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

// ---------------------------------------------------------------------------------------------
// The views: GET /runs/{runId} and the items of GET /runs, derived from the record.
// ---------------------------------------------------------------------------------------------

export const TaskViewSchema = z.omit(TaskRecordSchema, { version: true });

export const AttemptViewSchema = z.object({
  attempt: z.int(),
  taskArns: z.array(z.string()),
  startedAt: z.optional(isoTime),
  stoppedAt: z.optional(isoTime),
  stopCode: z.optional(z.string()),
  stoppedReason: z.optional(z.string()),
  containers: z.array(ContainerSchema),
  outcome: z.enum(ATTEMPT_OUTCOMES),
  retry: z.optional(RetryDecisionSchema),
  /** Each task of the attempt (an attempt with `count` > 1 has several). */
  tasks: z.optional(z.array(TaskViewSchema)),
  /** Where each task's containers log (GET /runs/{runId}/logs reads them), or why a container's output cannot be read. */
  logs: z.optional(
    z.array(
      z.object({
        taskArn: z.string(),
        container: z.string(),
        logGroup: z.optional(z.string()),
        logStream: z.optional(z.string()),
        reason: z.optional(z.string()),
      }),
    ),
  ),
});

export const RunViewSchema = z.object({
  ...z.pick(RunRecordSchema, {
    runId: true,
    status: true,
    taskDefinitionArn: true,
    cluster: true,
    createdAt: true,
    startedAt: true,
    stoppedAt: true,
    capacity: true,
    error: true,
    skipped: true,
    replaced: true,
  }).shape,
  trigger: z.optional(RunTriggerSchema),
  attempts: z.array(AttemptViewSchema),
  /** The run's queue; while it is QUEUED, its position (1: next) and why it waits. */
  queue: z.optional(
    z.object({
      ...RunQueueSchema.shape,
      position: z.optional(z.int()),
      waitingFor: z.optional(z.string()),
    }),
  ),
  /** What a QUEUED or WAITING_FOR_CAPACITY run waits for, in words. */
  waitingFor: z.optional(z.string()),
  family: z.optional(z.string()),
  principal: z.optional(z.string()),
  updatedAt: z.optional(isoTime),
});

export const RunSummarySchema = z.object({
  ...z.pick(RunRecordSchema, { runId: true, status: true, createdAt: true, stoppedAt: true }).shape,
  family: z.optional(z.string()),
  trigger: z.optional(RunTriggerSchema),
});

export type AttemptView = z.output<typeof AttemptViewSchema>;
export type RunView = z.output<typeof RunViewSchema>;
export type RunSummary = z.output<typeof RunSummarySchema>;

const drop = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** The task whose stop speaks for the attempt: the first with a non-zero exit, else the first stopped. */
function decidingTask(tasks: readonly TaskRecord[]): TaskRecord | undefined {
  return (
    tasks.find((t) => t.containers.some((c) => c.exitCode !== undefined && c.exitCode !== 0)) ??
    tasks.find((t) => t.lastStatus === 'STOPPED') ??
    tasks[0]
  );
}

/** An attempt's outcome: its verdict, else what the run's state says of it. */
function outcomeOf(record: RunRecord, attempt: AttemptRecord): AttemptOutcome {
  if (attempt.outcome !== undefined) return attempt.outcome;
  if (!isTerminal(record.status)) return 'RUNNING';
  const last = record.attempts[record.attempts.length - 1];
  if (attempt !== last) return 'FAILED';
  return record.status === 'SUCCEEDED' || record.status === 'CANCELLED' || record.status === 'TIMED_OUT'
    ? record.status
    : 'FAILED';
}

export function attemptView(record: RunRecord, attempt: AttemptRecord): AttemptView {
  const { tasks } = attempt;
  const starts = tasks.flatMap((t) => (t.startedAt ? [t.startedAt] : [])).sort();
  const stops = tasks.flatMap((t) => (t.stoppedAt ? [t.stoppedAt] : [])).sort();
  const deciding = decidingTask(tasks);
  const allStopped = tasks.length > 0 && tasks.every((t) => t.lastStatus === 'STOPPED');
  return drop({
    attempt: attempt.attempt,
    taskArns: tasks.map((t) => t.taskArn),
    startedAt: starts[0],
    stoppedAt: allStopped ? stops[stops.length - 1] : undefined,
    stopCode: deciding?.stopCode,
    stoppedReason: deciding?.stoppedReason,
    containers: deciding?.containers ?? [],
    outcome: outcomeOf(record, attempt),
    retry: attempt.retry,
    tasks: tasks.length > 1 ? tasks.map(({ version: _v, ...task }) => task) : undefined,
    logs:
      record.logging === undefined || tasks.length === 0
        ? undefined
        : tasks.flatMap((task) =>
            (record.logging ?? []).map((container) => {
              const location = logLocation(container, task.taskArn, regionOf(task.taskArn));
              return 'reason' in location
                ? { taskArn: task.taskArn, container: container.name, reason: location.reason }
                : {
                    taskArn: task.taskArn,
                    container: container.name,
                    logGroup: location.logGroup,
                    logStream: location.logStream,
                  };
            }),
          ),
  });
}

/** The region of an ARN (`arn:partition:service:region:...`). */
const regionOf = (arn: string) => arn.split(':')[3] ?? '';

/** What a run WAITING_FOR_CAPACITY waits for: room on its cluster, and what its last check found short. */
function capacityWait(record: RunRecord): string {
  const short = record.capacity?.shortfall;
  const what =
    short === undefined
      ? ''
      : `: ${short.tasks} task${short.tasks === 1 ? '' : 's'} did not fit${short.reason ? ` (${short.reason})` : ''}`;
  return `Room on cluster ${record.cluster} for its tasks${what}.`;
}

/** GET /runs/{runId}: the record without what only writers read (the request, the input, keys, versions). */
export function runView(record: RunRecord): RunView {
  return drop({
    runId: record.runId,
    status: record.status,
    taskDefinitionArn: record.taskDefinitionArn,
    cluster: record.cluster,
    trigger: record.trigger,
    createdAt: record.createdAt,
    startedAt: record.startedAt,
    stoppedAt: record.stoppedAt,
    attempts: record.attempts.map((a) => attemptView(record, a)),
    capacity: record.capacity,
    queue: record.queue,
    waitingFor: record.status === 'WAITING_FOR_CAPACITY' ? capacityWait(record) : undefined,
    error: record.error,
    skipped: record.skipped,
    replaced: record.replaced,
    family: record.family,
    principal: record.principal,
    updatedAt: record.updatedAt,
  });
}

/** The attributes GET /runs reads (the indexes project these, deploy/runs-table.js SUMMARY_ATTRIBUTES). */
export const SUMMARY_ATTRIBUTES = ['runId', 'status', 'createdAt', 'stoppedAt', 'family', 'trigger'] as const;

export function runSummary(item: Pick<RunRecord, (typeof SUMMARY_ATTRIBUTES)[number]>): RunSummary {
  return drop({
    runId: item.runId,
    status: item.status,
    createdAt: item.createdAt,
    stoppedAt: item.stoppedAt,
    family: item.family,
    trigger: item.trigger,
  });
}
