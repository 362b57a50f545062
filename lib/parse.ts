/**
 * The one place zod issues become violations (lib/task-definition/issues.ts words them): request parts at the
 * API boundary (lib/routes/route.ts) and trigger invocations parse through here.
 */
import * as z from 'zod/mini';
import { ValidationError } from './errors';
import { fallbackMessage, toViolations } from './task-definition/issues';
import type { Violation } from './task-definition/validate';

type Schema = z.core.$ZodType;

/**
 * A rule across members, as a check that reports its own JSONPath: `always` runs it even when members failed
 * (rules written to read what could be read, lib/task-definition/view.ts), otherwise only on a clean parse.
 */
export function withRules<S extends z.ZodMiniType>(
  schema: S,
  rules: (value: z.output<S>) => Violation[],
  { always = false } = {},
): S {
  const check = z.superRefine<z.output<S>>(
    (value, ctx) => {
      for (const v of rules(value)) ctx.addIssue({ code: 'custom', message: v.message, params: { jsonPath: v.path } });
    },
    { when: (payload) => always || payload.issues.length === 0 },
  );
  return schema.check(check);
}

/** The JSONPath a rule reported with its issue (withRules), if the issue is a rule's. */
const rulePath = (issue: z.core.$ZodIssue): string | undefined =>
  issue.code === 'custom' && typeof issue.params?.jsonPath === 'string' ? issue.params.jsonPath : undefined;

/** Issues as violations under a prefix (`['headers']`); a rule's issue keeps the path it reported. */
function violationsOf(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[]): Violation[] {
  const fromSchema = issues
    .filter((i) => rulePath(i) === undefined)
    .map((i) => ({ ...i, path: [...prefix, ...i.path] }) as z.core.$ZodIssue);
  const fromRules = issues.flatMap((i) => {
    const path = rulePath(i);
    return path === undefined ? [] : [{ path, message: i.message }];
  });
  return [...toViolations(fromSchema), ...fromRules];
}

export type Parsed<T = unknown> = { ok: true; value: T } | { ok: false; violations: Violation[] };

/** Parses one part of a request; prefix is where its members sit in a violation's path. */
export function parsePart<S extends Schema>(
  schema: S,
  value: unknown,
  prefix: readonly PropertyKey[] = [],
): Parsed<z.output<S>> {
  const result = z.safeParse(schema, value, { error: fallbackMessage });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, violations: violationsOf(result.error.issues, prefix) };
}

/** Parses a value against a schema or throws the 400 with every violation. */
export function parseOrThrow<S extends Schema>(schema: S, value: unknown): z.output<S> {
  const parsed = parsePart(schema, value);
  if (!parsed.ok) throw new ValidationError(parsed.violations);
  return parsed.value;
}
