/** POST /runs (optional header Idempotency-Key). */
import * as z from 'zod/mini';
import { RunRequestSchema } from '../runs/request';
import { IdempotencyKeySchema } from '../runs/run-id';
import { invalid, location, notJson, problem, refusedByPolicy, throttled, tooLarge } from './responses';
import { route } from './route';

export const startRunRoute = route({
  method: 'post',
  path: '/runs',
  operationId: 'startRun',
  summary: 'Start a run: check capacity, wait for room, run the task to completion, retry by policy.',
  tag: 'Runs',
  request: {
    headers: z.object({ 'Idempotency-Key': z.optional(IdempotencyKeySchema) }),
    body: RunRequestSchema,
  },
  responses: {
    '202': { description: 'Started.', body: 'RunRef', headers: location },
    '200': { description: 'The run an earlier request with this Idempotency-Key started.', body: 'RunRef' },
    '400': invalid,
    '403': refusedByPolicy,
    '404': problem('The task definition does not exist.'),
    '409': problem('The Idempotency-Key was used with another body.'),
    '413': tooLarge,
    '415': notJson,
    '503': throttled,
  },
});
