/** POST /runs/{runId}/cancel */
import * as z from 'zod/mini';
import { RunIdSchema } from './parameters';
import { invalid, location, notFound, problem, throttled } from './responses';
import { route } from './route';

export const cancelRunRoute = route({
  method: 'post',
  path: '/runs/{runId}/cancel',
  operationId: 'cancelRun',
  summary: 'Stop the run and its ECS task.',
  tag: 'Runs',
  request: { path: z.object({ runId: RunIdSchema }) },
  responses: {
    '202': { description: 'Cancelling.', body: 'CancelledRun', headers: location },
    '400': invalid,
    '404': notFound,
    '409': problem('The run has already finished.'),
    '503': throttled,
  },
});
