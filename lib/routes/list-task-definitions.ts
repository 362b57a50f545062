/** GET /task-definitions?familyPrefix=&status=&limit=&nextToken= */
import * as z from 'zod/mini';
import { anyCaseEnum, LimitSchema } from './parameters';
import { invalid, throttled } from './responses';
import { route } from './route';

export const FAMILY_STATUSES = ['ACTIVE', 'INACTIVE', 'ALL'] as const;

export const listTaskDefinitionsRoute = route({
  method: 'get',
  path: '/task-definitions',
  operationId: 'listTaskDefinitions',
  summary: 'Task definition families with their latest revision, one page at a time.',
  tag: 'Task definitions',
  request: {
    query: z.object({
      familyPrefix: z.optional(
        z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9_-]{1,255}$/, 'Family must be 1 to 255 letters, numbers, hyphens and underscores.'),
            z.describe('Only families starting with this.'),
          ),
      ),
      status: z._default(anyCaseEnum(FAMILY_STATUSES, 'Status'), 'ACTIVE'),
      limit: LimitSchema,
      // ECS's own token: ECS refuses one it did not issue (lib/task-definitions.ts maps that to $.nextToken).
      nextToken: z.optional(
        z
          .string()
          .check(
            z.minLength(1, 'nextToken must be the token a previous page returned.'),
            z.maxLength(4096, 'nextToken must be the token a previous page returned.'),
            z.describe('The token the previous page returned.'),
          ),
      ),
    }),
  },
  responses: { '200': { description: 'One page.', body: 'TaskDefinitionPage' }, '400': invalid, '503': throttled },
});
