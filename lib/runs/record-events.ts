/**
 * The run record kept current by AWS's own events, delivered by EventBridge rules (serverless.yml function
 * `recordRunEvent`; locally the same rules on the local bus):
 * - ECS Task State Change (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html):
 *   `detail` is the task as DescribeTasks gives it, camelCase, with `version`, which grows with every change of
 *   the task; the workflow starts tasks with group `berth:<run id>:<attempt>` (workflows/run-task.asl.yaml), which
 *   the rule matches on and which says where the task belongs. This is how the record says RUNNING with the task
 *   ARN and startedAt while `ecs:runTask.sync` is still waiting.
 * - Step Functions Execution Status Change (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html)
 *   of the run-task state machine: the run's terminal status, including ends no state of the workflow sees
 *   (StopExecution, an execution-level failure, a Lambda that failed past its retries).
 * Delivery is at least once and in any order: every change is an ordered one (lib/runs/record-updates.ts).
 * Once the record says how the run ended, the run event goes out (lib/events/run-events.ts), its detail the
 * record's view.
 */
import type { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { parseOrThrow } from '../parse';
import type { RunsConfig } from './config';
import { describeExecution } from './execution';
import { EXECUTION_STATUS_CHANGE, TERMINAL_EXECUTION_STATUSES } from './execution-status-change';
import type { RunRecord, TaskRecord } from './record';
import { type RecordChange, type RunEnd, runEnded, taskChanged } from './record-updates';
import { changeRecord, type RunStore } from './run-store';
import { isoTime, parseJson, readSyncTask } from './sync-task';
import { parseTaskGroup, TASK_GROUP_PREFIX } from './task-group';
import { readableCause } from './view';

export { EXECUTION_STATUS_CHANGE, parseTaskGroup, TASK_GROUP_PREFIX };

export const ECS_TASK_STATE_CHANGE = 'ECS Task State Change';
const TERMINAL = TERMINAL_EXECUTION_STATUSES;

/** The rule patterns, for serverless.yml (whose copy a unit test compares with these) and the tests. */
/**
 * Berth's tasks, when they start running and when they stop: the transitions the record shows. The others
 * (PROVISIONING, PENDING, ACTIVATING, DEACTIVATING, STOPPING, ...) would each cost an invocation and a write and
 * say nothing a reader acts on; a task that never ran still ends with STOPPED. So would the changes of a running
 * task once its containers have stopped or its stop has begun (an essential container's exit, a StopTask:
 * lastStatus still RUNNING, desiredStatus STOPPED or no container RUNNING): the STOPPED change that follows carries
 * the same exit codes and reasons. A task with several containers is delivered while any of them runs.
 */
export const taskStateChangePattern = () => ({
  source: ['aws.ecs'],
  'detail-type': [ECS_TASK_STATE_CHANGE],
  detail: {
    group: [{ prefix: TASK_GROUP_PREFIX }],
    $or: [
      { lastStatus: ['RUNNING'], desiredStatus: ['RUNNING'], containers: { lastStatus: ['RUNNING'] } },
      { lastStatus: ['STOPPED'] },
    ],
  },
});
export const executionStatusChangePattern = <Arn>(stateMachineArn: Arn) => ({
  source: ['aws.states'],
  'detail-type': [EXECUTION_STATUS_CHANGE],
  detail: { stateMachineArn: [stateMachineArn], status: [...TERMINAL] },
});

const time = z.optional(z.union([z.string(), z.number()]));

const TaskStateChangeSchema = z.looseObject({
  source: z.literal('aws.ecs'),
  'detail-type': z.literal(ECS_TASK_STATE_CHANGE),
  time: z.optional(z.string()),
  detail: z.looseObject({
    taskArn: z.string().check(z.minLength(1)),
    lastStatus: z.string().check(z.minLength(1)),
    version: z.int(),
    group: z.optional(z.string()),
    startedAt: time,
    stoppedAt: time,
    stopCode: z.optional(z.string()),
    stoppedReason: z.optional(z.string()),
    containers: z.optional(
      z.array(
        z.looseObject({
          name: z.string(),
          exitCode: z.optional(z.nullable(z.int())),
          reason: z.optional(z.nullable(z.string())),
        }),
      ),
    ),
  }),
});

const ExecutionStatusChangeSchema = z.looseObject({
  source: z.literal('aws.states'),
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  time: z.optional(z.string()),
  detail: z.looseObject({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.string(),
    stopDate: z.optional(z.nullable(z.number())),
    error: z.optional(z.nullable(z.string())),
    cause: z.optional(z.nullable(z.string())),
    output: z.optional(z.nullable(z.string())),
  }),
});

const EventSchema = z.looseObject({ 'detail-type': z.string() });

export interface RecordEventsDeps {
  store: RunStore;
  sfn: SFNClient;
  config: Pick<RunsConfig, 'stateMachineArn'>;
  /**
   * Called with the record after every end of a run's execution, repeats included (the queue's slot is released
   * once whatever the repeats: lib/queues/admit.ts releaseRun). A failure is thrown, so the event is redelivered.
   */
  onExecutionEnd?: (record: RunRecord) => Promise<unknown>;
  /**
   * Called after onExecutionEnd with the record and the execution's ARN, repeats included (a repeat puts the run
   * event again: its first delivery may have failed after the write). A failure is thrown, as above.
   */
  onRunEnded?: (record: RunRecord, executionArn: string) => Promise<unknown>;
}

export type RecordEventResult =
  | { recorded: true; runId: string; changed: boolean; status: string }
  | { recorded: false; runId?: string; reason: string };

/** The task as the record keeps it, from an ECS Task State Change's detail. */
function taskOf(detail: z.output<typeof TaskStateChangeSchema>['detail']): TaskRecord {
  const task: TaskRecord = {
    taskArn: detail.taskArn,
    lastStatus: detail.lastStatus,
    version: detail.version,
    containers: (detail.containers ?? []).map((c) => ({
      name: c.name,
      ...(typeof c.exitCode === 'number' && { exitCode: c.exitCode }),
      ...(typeof c.reason === 'string' && c.reason !== '' && { reason: c.reason }),
    })),
  };
  const startedAt = isoTime(detail.startedAt);
  if (startedAt !== undefined) task.startedAt = startedAt;
  const stoppedAt = isoTime(detail.stoppedAt);
  if (stoppedAt !== undefined) task.stoppedAt = stoppedAt;
  if (detail.stopCode) task.stopCode = detail.stopCode;
  if (detail.stoppedReason) task.stoppedReason = detail.stoppedReason;
  return task;
}

/** How an execution's end reads as the run's end. A cancel is a StopExecution: ABORTED. */
export function runEndOf(
  status: (typeof TERMINAL)[number],
  error: string | undefined,
  cause: string | undefined,
  stoppedAt: string,
): RunEnd {
  switch (status) {
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED', stoppedAt, source: 'execution' };
    case 'ABORTED':
      return {
        status: 'CANCELLED',
        stoppedAt,
        source: 'execution',
        error: { code: error || 'Cancelled', message: readableCause(cause, 'The run was cancelled.') },
      };
    case 'TIMED_OUT':
      return {
        status: 'TIMED_OUT',
        stoppedAt,
        source: 'execution',
        error: { code: error || 'States.Timeout', message: readableCause(cause, 'The run exceeded its time limit.') },
      };
    case 'FAILED':
      return {
        status: error === 'TaskTimedOut' ? 'TIMED_OUT' : 'FAILED',
        stoppedAt,
        source: 'execution',
        error: { code: error || 'States.Runtime', message: readableCause(cause, 'The run failed.') },
      };
  }
}

/**
 * The last attempt's task as the succeeded execution's output holds it (the Run Task state's `.sync` result at
 * `$.task`, its attempt at `$.check.attempt`): the stopped task with its exit codes, even when ECS's STOPPED event
 * was lost (the stack was down when the task stopped). Ordered like any task change, so a later event still wins.
 */
function lastTask(output: string | undefined): RecordChange | undefined {
  const state = parseJson(output) as { task?: unknown; check?: { attempt?: unknown } } | undefined;
  const task = readSyncTask(state?.task);
  if (task === undefined) return undefined;
  const attempt = typeof state?.check?.attempt === 'number' ? state.check.attempt : undefined;
  const record: TaskRecord = {
    taskArn: task.taskArn,
    lastStatus: task.lastStatus ?? 'STOPPED',
    version: 0,
    containers: task.containers,
    ...(task.startedAt !== undefined && { startedAt: task.startedAt }),
    ...(task.stoppedAt !== undefined && { stoppedAt: task.stoppedAt }),
    ...(task.stopCode !== undefined && { stopCode: task.stopCode }),
    ...(task.stoppedReason !== undefined && { stoppedReason: task.stoppedReason }),
  };
  return taskChanged(attempt, record);
}

async function recordTask(deps: RecordEventsDeps, event: unknown): Promise<RecordEventResult> {
  const { detail } = parseOrThrow(TaskStateChangeSchema, event);
  const owner = parseTaskGroup(detail.group);
  if (owner === undefined) return { recorded: false, reason: `Task ${detail.taskArn} was not started by Berth.` };
  const result = await changeRecord(deps.store, owner.runId, taskChanged(owner.attempt, taskOf(detail)));
  if (!result.found) return { recorded: false, runId: owner.runId, reason: `Run ${owner.runId} has no record.` };
  return { recorded: true, runId: owner.runId, changed: result.changed, status: result.record.status };
}

async function recordExecution(deps: RecordEventsDeps, event: unknown): Promise<RecordEventResult> {
  const parsed = parseOrThrow(ExecutionStatusChangeSchema, event);
  const { detail } = parsed;
  if (detail.stateMachineArn !== deps.config.stateMachineArn) {
    return { recorded: false, reason: `Not the run-task state machine: ${detail.stateMachineArn}.` };
  }
  const status = TERMINAL.find((s) => s === detail.status);
  if (status === undefined)
    return { recorded: false, runId: detail.name, reason: `The execution is ${detail.status}.` };
  let error = detail.error ?? undefined;
  let cause = detail.cause ?? undefined;
  let output = detail.output ?? undefined;
  let stopped = detail.stopDate ?? undefined;
  if (status === 'SUCCEEDED' ? output === undefined : error === undefined) {
    // The event may leave out why the execution ended, or its output (over 256 KB); the execution says it.
    const execution = await describeExecution(deps, detail.name);
    error = execution?.error;
    cause = execution?.cause;
    output = execution?.output;
    stopped ??= execution?.stopDate?.getTime();
  }
  const stoppedAt = isoTime(stopped) ?? isoTime(parsed.time) ?? new Date().toISOString();
  const ended = runEnded(runEndOf(status, error, cause, stoppedAt));
  const last = status === 'SUCCEEDED' ? lastTask(output) : undefined;
  const change: RecordChange =
    last === undefined
      ? ended
      : (record) => {
          last(record);
          ended(record);
        };
  const result = await changeRecord(deps.store, detail.name, change);
  if (!result.found) return { recorded: false, runId: detail.name, reason: `Run ${detail.name} has no record.` };
  await deps.onExecutionEnd?.(result.record);
  await deps.onRunEnded?.(result.record, detail.executionArn);
  return { recorded: true, runId: detail.name, changed: result.changed, status: result.record.status };
}

/**
 * Records one event in its run's record.
 * 1. Validate it by its detail-type; ignore tasks Berth did not start and other state machines' executions.
 * 2. Apply the ordered change (a task's transition, or the run's end) to the record, conditionally.
 * A run with no record (another stage's task, an expired run) is not an error: there is nothing to keep current.
 * A failed write is thrown, so the delivery is retried and, past its retries, dead-lettered.
 */
export async function recordRunEvent(deps: RecordEventsDeps, event: unknown): Promise<RecordEventResult> {
  const { 'detail-type': detailType } = parseOrThrow(EventSchema, event);
  if (detailType === ECS_TASK_STATE_CHANGE) return recordTask(deps, event);
  if (detailType === EXECUTION_STATUS_CHANGE) return recordExecution(deps, event);
  return { recorded: false, reason: `Not an event this function records: ${detailType}.` };
}
