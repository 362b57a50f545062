/** GET /runs/{runId}/logs?attempt=&container=&startTime=&limit=&nextToken= */
import * as z from 'zod/mini';
import { DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT } from '../logs/page';
import { RunIdSchema } from './parameters';
import { invalid, notFound, throttled } from './responses';
import { route } from './route';

const ATTEMPT_RULE = 'Attempt must be an integer from 1 to 10.';
const LIMIT_RULE = `Limit must be an integer from 1 to ${MAX_LOG_LIMIT}.`;
const START_RULE = 'startTime must be epoch milliseconds (an integer from 0).';
const CONTAINER_RULE = 'Container must be a container name: 1 to 255 letters, numbers, hyphens and underscores.';

export const getRunLogsRoute = route({
  method: 'get',
  path: '/runs/{runId}/logs',
  operationId: 'getRunLogs',
  summary:
    "A run's container output, oldest first; a nextToken always comes back, and from a running run it yields what was written since (the way to follow).",
  tag: 'Runs',
  request: {
    path: z.object({ runId: RunIdSchema }),
    query: z.object({
      attempt: z.optional(
        z.coerce
          .number({ error: ATTEMPT_RULE })
          .check(
            z.int(ATTEMPT_RULE),
            z.gte(1, ATTEMPT_RULE),
            z.lte(10, ATTEMPT_RULE),
            z.describe('The attempt (default the last).'),
          ),
      ),
      container: z.optional(
        z
          .string({ error: CONTAINER_RULE })
          .check(
            z.regex(/^[A-Za-z0-9_-]{1,255}$/, CONTAINER_RULE),
            z.describe('One container (default every essential one).'),
          ),
      ),
      startTime: z.optional(
        z.coerce
          .number({ error: START_RULE })
          .check(
            z.int(START_RULE),
            z.gte(0, START_RULE),
            z.describe('Epoch milliseconds: the first page starts there.'),
          ),
      ),
      limit: z._default(
        z.coerce
          .number({ error: LIMIT_RULE })
          .check(
            z.int(LIMIT_RULE),
            z.gte(1, LIMIT_RULE),
            z.lte(MAX_LOG_LIMIT, LIMIT_RULE),
            z.describe(`Events per page, 1 to ${MAX_LOG_LIMIT} (default ${DEFAULT_LOG_LIMIT}).`),
          ),
        DEFAULT_LOG_LIMIT,
      ),
      nextToken: z.optional(
        z.string().check(z.minLength(1), z.maxLength(16_384), z.describe('The nextToken of the previous page.')),
      ),
    }),
  },
  responses: {
    '200': { description: 'One page of events.', body: 'RunLogPage' },
    '400': invalid,
    '404': notFound,
    '503': throttled,
  },
});
