/**
 * Path and query members more than one route takes. Query and path values arrive as strings; each schema here
 * takes the string and gives the use case the value it means (a number, an upper-case status).
 */

import * as z from 'zod/mini';
import { QUEUE_NAME } from '../queues/names';

const FAMILY_RULE = 'must be 1 to 255 letters, numbers, hyphens and underscores';

export const FamilySchema = z
  .string({ error: `Family ${FAMILY_RULE}.` })
  .check(z.regex(/^[A-Za-z0-9_-]{1,255}$/, `Family ${FAMILY_RULE}.`), z.describe('Task definition family.'));

export const RevisionSchema = z.pipe(
  z
    .string({ error: 'Revision must be a positive integer.' })
    .check(z.regex(/^[1-9][0-9]{0,9}$/, 'Revision must be a positive integer.'), z.describe('Revision number.')),
  z.transform(Number),
);

// \p{Cc} is exactly the control characters Step Functions refuses (U+0000-001F, U+007F-009F).
const RUN_ID = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;
const RUN_ID_RULE = 'A run id is 1 to 80 characters, without spaces, brackets or ?*"#%\\^|~`$&,;:/.';

/** An execution name, as Step Functions' StartExecution takes it: the run id. */
export const RunIdSchema = z
  .string({ error: RUN_ID_RULE })
  .check(z.regex(RUN_ID, RUN_ID_RULE), z.describe('The run id POST /runs returned (the execution name).'));

const LIMIT_RULE = 'Limit must be an integer from 1 to 100.';

/** A page size, 1 to 100, default 20 (documented as the integer it is; a query string carries it as digits). */
export const LimitSchema = z._default(
  z.coerce
    .number({ error: LIMIT_RULE })
    .check(
      z.int(LIMIT_RULE),
      z.gte(1, LIMIT_RULE),
      z.lte(100, LIMIT_RULE),
      z.describe('Page size, 1 to 100 (default 20).'),
    ),
  20,
);

const anyCasePattern = (values: readonly string[]) =>
  new RegExp(
    `^(?:${values
      .map((v) => [...v].map((c) => (/[A-Za-z]/.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join(''))
      .join('|')})$`,
  );

/**
 * One of the values in any case (`cancelled` is CANCELLED), as ECS and AWS Batch take their enums in a query; the
 * use case gets the upper-case value. Documented as a pattern, so the document accepts what the code accepts.
 */
export function anyCaseEnum<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  const message = `${what} must be one of ${values.join(', ')}.`;
  return z.pipe(
    z
      .string({ error: message })
      .check(z.regex(anyCasePattern(values), message), z.describe(`One of ${values.join(', ')}, in any case.`)),
    z.pipe(
      z.transform((value: string) => value.toUpperCase()),
      z.enum(values),
    ),
  );
}

const QUEUE_RULE = 'Queue must be a queue name: 1 to 128 letters, numbers, hyphens and underscores.';

export const QueueNameSchema = z
  .string({ error: QUEUE_RULE })
  .check(z.regex(QUEUE_NAME, QUEUE_RULE), z.describe('A queue of the queue file (queues.yml).'));
