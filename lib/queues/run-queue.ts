/**
 * A run's queue, at POST /runs: which queue (the request's, else `default`), whether the request fits it (a
 * fair-share queue needs a shareIdentifier, as AWS Batch's SubmitJob does for a queue with a scheduling policy, and
 * any other queue refuses one), the queue's defaults for cluster and capacity, and the execution input's part.
 */
import { ValidationError } from '../errors';
import type { RunRequestBody } from '../runs/request';
import type { ExecutionQueue } from '../runs/types';
import { NO_TIMEOUT_SECONDS } from '../runs/workflow';
import type { Queue } from './config';
import { DEFAULT_QUEUE } from './names';

/** The request's queue, checked; a 400 naming `$.queue` or `$.shareIdentifier` when the request does not fit. */
export function resolveRunQueue(
  body: Pick<RunRequestBody, 'queue' | 'shareIdentifier'>,
  queues: readonly Queue[],
): Queue {
  const name = body.queue ?? DEFAULT_QUEUE;
  const queue = queues.find((q) => q.name === name);
  if (queue === undefined) {
    throw new ValidationError([
      {
        path: '$.queue',
        message: `Queue ${name} does not exist; this stage's queues are ${queues.map((q) => q.name).join(', ')} (queues.yml).`,
      },
    ]);
  }
  if (queue.fairShare !== undefined && body.shareIdentifier === undefined) {
    throw new ValidationError([
      {
        path: '$.shareIdentifier',
        message: `Queue ${name} has a fair-share policy: a run in it must have a shareIdentifier.`,
      },
    ]);
  }
  if (queue.fairShare === undefined && body.shareIdentifier !== undefined) {
    throw new ValidationError([
      {
        path: '$.shareIdentifier',
        message: `Queue ${name} has no fair-share policy: a shareIdentifier is only allowed in a queue with one.`,
      },
    ]);
  }
  return queue;
}

/** The queue's defaults under the request's own: its cluster, and each capacity setting it gives. */
export function withQueueDefaults(body: RunRequestBody, queue: Queue): RunRequestBody {
  const cluster = body.cluster ?? queue.cluster;
  const capacity =
    queue.capacity === undefined && body.capacity === undefined ? undefined : { ...queue.capacity, ...body.capacity };
  return {
    ...body,
    ...(cluster !== undefined && { cluster }),
    ...(capacity !== undefined && { capacity }),
  };
}

/** Enter Queue's part of the execution input. */
export function executionQueue(
  queue: Queue,
  body: Pick<RunRequestBody, 'priority' | 'shareIdentifier'>,
  enqueuedAt: Date,
): ExecutionQueue {
  const limit = queue.maxConcurrentRuns === undefined ? 'no limit' : `limit ${queue.maxConcurrentRuns}`;
  return {
    name: queue.name,
    priority: body.priority ?? 0,
    ...(body.shareIdentifier !== undefined && { shareIdentifier: body.shareIdentifier }),
    enqueuedAt: enqueuedAt.toISOString(),
    maxQueuedSeconds: queue.maxQueuedSeconds ?? NO_TIMEOUT_SECONDS,
    timeoutMessage:
      `The run waited longer than maxQueuedSeconds (${queue.maxQueuedSeconds} s) for a slot in queue ${queue.name} ` +
      `(${limit}): runs ahead of it held every slot, or the queue was paused.`,
  };
}
