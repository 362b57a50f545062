/** GET /runs/{runId} */
import * as z from 'zod/mini';
import { RunIdSchema } from './parameters';
import { invalid, notFound, throttled } from './responses';
import { route } from './route';

export const getRunRoute = route({
  method: 'get',
  path: '/runs/{runId}',
  operationId: 'getRun',
  summary: 'A run: status, attempts with exit codes and retry decisions, the last capacity check, the error.',
  tag: 'Runs',
  request: { path: z.object({ runId: RunIdSchema }) },
  responses: { '200': { description: 'The run.', body: 'Run' }, '400': invalid, '404': notFound, '503': throttled },
});
