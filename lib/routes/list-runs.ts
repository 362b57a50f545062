/** GET /runs?status=&limit=&nextToken= */
import * as z from 'zod/mini';
import { withRules } from '../parse';
import { PageTokenSchema, pageTokenStatusViolations } from '../runs/page-token';
import { RUN_STATUSES } from '../runs/types';
import { anyCaseEnum, LimitSchema } from './parameters';
import { invalid, throttled } from './responses';
import { route } from './route';

export const listRunsRoute = route({
  method: 'get',
  path: '/runs',
  operationId: 'listRuns',
  summary: 'Runs, newest first; a page may hold fewer than `limit` and still have a nextToken.',
  tag: 'Runs',
  request: {
    query: withRules(
      z.object({
        status: z.optional(anyCaseEnum(RUN_STATUSES, 'Status')),
        limit: LimitSchema,
        nextToken: z.optional(PageTokenSchema),
      }),
      pageTokenStatusViolations,
    ),
  },
  responses: { '200': { description: 'One page.', body: 'RunPage' }, '400': invalid, '503': throttled },
});
