/**
 * The "ECS Task State Change" event the local ECS puts on the local default bus on every change of a task, as ECS
 * puts it on an account's default bus. Follows
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html:
 * - `source: aws.ecs`, `detail-type: ECS Task State Change`, `resources: [taskArn]`;
 * - `detail` is the task as DescribeTasks shows it, in camelCase, with its timestamps (createdAt, connectivityAt,
 *   pullStartedAt, pullStoppedAt, startedAt, stoppingAt, executionStoppedAt, stoppedAt) as ISO strings, an
 *   `updatedAt`, and the task's `version`, which grows with each change: a consumer orders a task's events by it
 *   (events are delivered at least once and not necessarily in order);
 * - the health status is not in the event ("If you need the health status, you can run DescribeTasks"), in the
 *   task or its containers.
 * One event per change of the task (one per version): its creation (PROVISIONING, or PENDING on EC2 without
 * awsvpc), each lifecycle step (PENDING, the image pull, RUNNING, a stop asked for, a container's exit,
 * DEPROVISIONING/STOPPING, STOPPED), as the agent reports each state change of a task and of its containers.
 */
import type { AwsServiceEvent } from '../events/aws-events';
import type { WireTask } from './task-types';

export const TASK_STATE_CHANGE = 'ECS Task State Change';
export const ECS_SOURCE = 'aws.ecs';

/** The task's epoch-second timestamps, which the event carries as ISO strings. */
const TIMESTAMPS = [
  'createdAt',
  'connectivityAt',
  'pullStartedAt',
  'pullStoppedAt',
  'startedAt',
  'stoppingAt',
  'executionStoppedAt',
  'stoppedAt',
] as const;

const iso = (epochSeconds: number) => new Date(Math.round(epochSeconds * 1000)).toISOString();

/** The event's `detail`: the task in camelCase, timestamps as ISO strings, `updatedAt`, no health status. */
export function taskStateChangeDetail(task: WireTask, updatedAtMs: number): Record<string, unknown> {
  const { healthStatus: _, containers, ...rest } = task;
  const detail: Record<string, unknown> = {
    ...rest,
    containers: containers.map(({ healthStatus: __, ...container }) => container),
  };
  for (const key of TIMESTAMPS) {
    const value = task[key];
    if (value !== undefined) detail[key] = iso(value);
  }
  detail.updatedAt = new Date(updatedAtMs).toISOString();
  return detail;
}

export function taskStateChangeEvent(task: WireTask, nowMs: number): AwsServiceEvent {
  return {
    source: ECS_SOURCE,
    detailType: TASK_STATE_CHANGE,
    resources: [task.taskArn],
    time: nowMs,
    detail: taskStateChangeDetail(task, nowMs),
  };
}
