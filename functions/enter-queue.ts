/**
 * Enter Queue (run-task workflow, `lambda:invoke.waitForTaskToken`): the run waits in its queue for a slot; the
 * execution goes on when this or another Lambda admits it (lib/queues/admit.ts).
 */
import * as z from 'zod/mini';
import { logger } from '../lib/http';
import { parseOrThrow } from '../lib/parse';
import { enterQueue } from '../lib/queues/admit';
import { queueDeps } from '../lib/queues/deps';
import { workflowStep } from '../lib/workflow-step';

const deps = queueDeps();

/** The Enter Queue state's Payload (workflows/run-task.asl.yaml). */
const EnterQueuePayloadSchema = z.looseObject({
  runId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1), z.maxLength(1024)),
  queue: z.looseObject({
    name: z.string().check(z.minLength(1)),
    priority: z.int(),
    shareIdentifier: z.optional(z.string()),
    enqueuedAt: z.string().check(z.minLength(1)),
  }),
});

export const handler = workflowStep(async (event) => {
  const { runId, taskToken, queue } = parseOrThrow(EnterQueuePayloadSchema, event);
  const result = await enterQueue(deps, runId, queue, taskToken);
  logger.info('Run entered its queue', { runId, queue: queue.name, result });
  return { result };
});
