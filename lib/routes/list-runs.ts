/** GET /runs?status=|family=|trigger=|queue=&createdAfter=&createdBefore=&limit=&nextToken= */
import * as z from 'zod/mini';
import { withRules } from '../parse';
import { type ListFilter, PageTokenSchema, pageTokenFilterViolations } from '../runs/page-token';
import { RUN_STATUSES } from '../runs/types';
import type { Violation } from '../task-definition/validate';
import { anyCaseEnum, FamilySchema, LimitSchema, QueueNameSchema } from './parameters';
import { invalid, throttled } from './responses';
import { route } from './route';

const TIME_RULE = 'must be an ISO-8601 date and time, such as 2026-12-07T15:00:00Z.';

/** An ISO-8601 time, as the record's createdAt writes it (UTC, milliseconds), so string order is time order. */
const timeSchema = (name: string) =>
  z.pipe(
    z
      .string({ error: `${name} ${TIME_RULE}` })
      .check(
        z.regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/, `${name} ${TIME_RULE}`),
        z.describe(`Runs created ${name === 'createdAfter' ? 'at or after' : 'at or before'} this time (ISO-8601).`),
      ),
    z.transform((value: string, ctx) => {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) return new Date(time).toISOString();
      ctx.issues.push({ code: 'custom', message: `${name} ${TIME_RULE}`, input: value });
      return z.NEVER;
    }),
  );

const TRIGGER_RULE =
  'Trigger must be a trigger type (api, schedule, event) or a trigger name of 1 to 128 letters, numbers and - _ / . : characters.';

const TriggerFilterSchema = z
  .string({ error: TRIGGER_RULE })
  .check(
    z.regex(/^[A-Za-z0-9_/.:-]{1,128}$/, TRIGGER_RULE),
    z.describe(
      "A trigger type (api, schedule, event, in any case) or a trigger's name (a schedule's, an event rule's, or startedBy).",
    ),
  );

/** One index per page: status, family, trigger and queue do not combine; the time range is not after its end. */
function filterViolations(query: ListFilter): Violation[] {
  const out: Violation[] = [];
  const given = (['status', 'family', 'trigger', 'queue'] as const).filter((name) => query[name] !== undefined);
  for (const name of given.slice(1)) {
    out.push({
      path: `$.${name}`,
      message: `Filter by one of status, family, trigger and queue at a time (${given.join(' and ')} were given); each is one index, and a page must be one query.`,
    });
  }
  if (
    query.createdAfter !== undefined &&
    query.createdBefore !== undefined &&
    query.createdAfter > query.createdBefore
  ) {
    out.push({ path: '$.createdBefore', message: 'createdBefore must not be earlier than createdAfter.' });
  }
  return out;
}

export const listRunsRoute = route({
  method: 'get',
  path: '/runs',
  operationId: 'listRuns',
  summary:
    'Runs, newest first, filtered by status, family, trigger or queue and a creation time range; every page but the last holds `limit` runs.',
  tag: 'Runs',
  request: {
    query: withRules(
      z.object({
        status: z.optional(anyCaseEnum(RUN_STATUSES, 'Status')),
        family: z.optional(FamilySchema),
        trigger: z.optional(TriggerFilterSchema),
        queue: z.optional(QueueNameSchema),
        createdAfter: z.optional(timeSchema('createdAfter')),
        createdBefore: z.optional(timeSchema('createdBefore')),
        limit: LimitSchema,
        nextToken: z.optional(PageTokenSchema),
      }),
      (query) => [...filterViolations(query), ...pageTokenFilterViolations(query)],
    ),
  },
  responses: { '200': { description: 'One page.', body: 'RunPage' }, '400': invalid, '503': throttled },
});
