/**
 * The trigger file (`triggers.yml` at the repo root, serverless.yml custom.triggersFile): named schedules and
 * event triggers, each with the run request it starts. Validated whole, every problem reported with the name of
 * the trigger it is in, by `serverless package` (deploy/triggers.js) and by `npm start` (local/triggers/) alike,
 * so an invalid trigger can be neither deployed nor run.
 *
 *   triggers:
 *     nightly-report:                        # [A-Za-z0-9][A-Za-z0-9_-]{0,63}
 *       description: Rebuild the report      # optional, at most 512 characters
 *       enabled: true                        # optional (default true): deployed DISABLED otherwise
 *       concurrencyPolicy: Forbid            # optional: Allow (default), Forbid or Replace (lib/triggers/names.ts)
 *       schedule:
 *         expression: cron(0 2 ? * MON-FRI *)  # EventBridge Scheduler syntax, lib/triggers/schedule-expression.ts
 *         timeZone: Europe/Berlin            # optional IANA name, default UTC
 *       run: { taskDefinition: report }      # a POST /runs body
 *     on-upload:
 *       event:
 *         pattern: { source: [uploads], detail-type: [Object Created] }   # an EventBridge event pattern
 *       run:                                 # may take values from the event (lib/triggers/template.ts)
 *         taskDefinition: ingest
 *         overrides: { containerOverrides: [{ name: ingest, environment: [{ name: KEY, value: { $event: $.detail.key } }] }] }
 *
 * The run request is checked as POST /runs checks a body (lib/runs/request.ts) at load time, and so is an
 * enabled trigger's family against the stage's runFamilies when the caller gives them (a trigger the stage could
 * never run is refused at package time); what only the deployed stage can check (that the task definition exists,
 * the other guardrails) is checked when the trigger fires, by the same use case as POST /runs. A template's place
 * is checked once the event fills it.
 */
import * as z from 'zod/mini';
import { validateEventPattern } from '../events/pattern';
import { matchesAny } from '../glob';
import { parseRunRequest, type RunDefaults } from '../runs/request';
import { fallbackMessage, toViolations } from '../task-definition/issues';
import { CONCURRENCY_POLICIES, type ConcurrencyPolicy, TRIGGER_NAME } from './names';
import { isTimeZone, validateScheduleExpression } from './schedule-expression';
import { targetInputProblem } from './targets';
import { EVENT_TEMPLATE_KEY, findTemplates } from './template';

export { TRIGGER_NAME };

/** EventBridge Scheduler's ScheduleExpressionTimezone and a rule's EventBusName are at most this long. */
const MAX_NAME_LENGTH = 256;

const ScheduleSchema = z.strictObject({
  expression: z.string({ error: 'schedule.expression is required: rate(...) or cron(...).' }),
  timeZone: z.optional(z.string().check(z.maxLength(50, 'A time zone name is at most 50 characters.'))),
});

const EventSchema = z.strictObject({
  pattern: z.unknown(),
  eventBusName: z.optional(
    z
      .string()
      .check(
        z.maxLength(MAX_NAME_LENGTH),
        z.regex(/^[/.\-_A-Za-z0-9]+$/, 'eventBusName is a bus name (letters, digits, / . - _).'),
      ),
  ),
});

const TriggerSchema = z.strictObject({
  description: z.optional(z.string().check(z.maxLength(512, 'A description is at most 512 characters.'))),
  enabled: z.optional(z.boolean({ error: 'enabled is true or false.' })),
  concurrencyPolicy: z.optional(
    z.enum(CONCURRENCY_POLICIES, { error: `concurrencyPolicy is one of ${CONCURRENCY_POLICIES.join(', ')}.` }),
  ),
  schedule: z.optional(ScheduleSchema),
  event: z.optional(EventSchema),
  run: z.optional(z.unknown()),
});

export const TriggerFileSchema = z.strictObject(
  {
    triggers: z._default(z.nullable(z.record(z.string(), z.unknown())), {}),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type' ? 'The trigger file must be a mapping with `triggers:`.' : undefined,
  },
);

export interface ScheduleTrigger {
  type: 'schedule';
  name: string;
  description?: string;
  enabled: boolean;
  /** What a firing does while a run of the trigger is not terminal; absent: Allow. */
  concurrencyPolicy?: ConcurrencyPolicy;
  expression: string;
  timeZone?: string;
  /** The run request, as written (validated). */
  run: Record<string, unknown>;
}

export interface EventTrigger {
  type: 'event';
  name: string;
  description?: string;
  enabled: boolean;
  /** What a firing does while a run of the trigger is not terminal; absent: Allow. */
  concurrencyPolicy?: ConcurrencyPolicy;
  /** The event pattern, parsed (validated). */
  pattern: Record<string, unknown>;
  eventBusName?: string;
  /** The run request template, as written (validated; may hold {"$event": ...} templates). */
  run: Record<string, unknown>;
}

export type Trigger = ScheduleTrigger | EventTrigger;

export interface TriggerProblem {
  /** The trigger it is in; absent for a problem with the file itself. */
  trigger?: string;
  /** JSONPath inside the trigger (or the file). */
  path: string;
  message: string;
}

export type TriggerFileResult = { ok: true; triggers: Trigger[] } | { ok: false; problems: TriggerProblem[] };

/** Capacity defaults only fill absent fields, they never make a request valid or invalid. */
const CHECK_DEFAULTS: RunDefaults = { capacity: { waitSeconds: 600, checkIntervalSeconds: 30 } };

/** A stand-in for a template's value while the rest of the request is checked. */
const TEMPLATE_STAND_IN = 'berth-template-value';

function replaceTemplates(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(replaceTemplates);
  if (typeof node !== 'object' || node === null) return node;
  if (Object.hasOwn(node, EVENT_TEMPLATE_KEY)) return TEMPLATE_STAND_IN;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, replaceTemplates(v)]));
}

const under = (path: string, prefix: string) =>
  path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/** The run request's problems, paths relative to the trigger (`$.run...`). */
function checkRun(run: unknown, allowTemplates: boolean): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (typeof run !== 'object' || run === null || Array.isArray(run)) {
    return [{ path: '$.run', message: 'run is required: a run request, as the body of POST /runs.' }];
  }
  const { refs, problems: malformed } = findTemplates(run);
  const relative = (p: string) => `$.run${p.slice(1)}`;
  if (!allowTemplates && refs.length + malformed.length > 0) {
    const first = refs[0]?.at ?? malformed[0]!.path;
    return [
      {
        path: relative(first),
        message: 'Only event triggers take {"$event": ...} templates; a schedule has no event.',
      },
    ];
  }
  problems.push(...malformed.map((p) => ({ path: relative(p.path), message: p.message })));
  const parsed = parseRunRequest(replaceTemplates(run), CHECK_DEFAULTS);
  if (!parsed.ok) {
    for (const v of parsed.violations) {
      // A template's value is only known once an event fills it: its place is checked then.
      if (refs.some((ref) => under(v.path, ref.at))) continue;
      problems.push({ path: relative(v.path), message: v.message });
    }
  }
  return problems;
}

function checkTrigger(name: string, raw: unknown): { trigger?: Trigger; problems: TriggerProblem[] } {
  const problems: TriggerProblem[] = [];
  const add = (path: string, message: string) => problems.push({ trigger: name, path, message });
  if (!TRIGGER_NAME.test(name)) {
    add('$', 'A trigger name is 1 to 64 letters, digits, hyphens and underscores, starting with a letter or digit.');
  }
  const parsed = TriggerSchema.safeParse(raw, { error: fallbackMessage });
  if (!parsed.success) {
    for (const v of toViolations(parsed.error.issues)) add(v.path, v.message);
    return { problems };
  }
  const t = parsed.data;
  if ((t.schedule === undefined) === (t.event === undefined)) {
    add('$', 'A trigger has exactly one of schedule (rate or cron) and event (an event pattern).');
    return { problems };
  }
  const common = {
    name,
    enabled: t.enabled ?? true,
    ...(t.concurrencyPolicy !== undefined && { concurrencyPolicy: t.concurrencyPolicy }),
    ...(t.description !== undefined && { description: t.description }),
    run: t.run as Record<string, unknown>,
  };
  for (const p of checkRun(t.run, t.event !== undefined)) add(p.path, p.message);
  if (t.schedule !== undefined) {
    const reason = validateScheduleExpression(t.schedule.expression);
    if (reason !== undefined)
      add('$.schedule.expression', `Invalid schedule expression ${t.schedule.expression}: ${reason}`);
    if (t.schedule.timeZone !== undefined && !isTimeZone(t.schedule.timeZone)) {
      add('$.schedule.timeZone', `Unknown time zone ${t.schedule.timeZone}: give an IANA name such as Europe/Berlin.`);
    }
    const trigger: ScheduleTrigger = {
      type: 'schedule',
      ...common,
      expression: t.schedule.expression.trim(),
      ...(t.schedule.timeZone !== undefined && { timeZone: t.schedule.timeZone }),
    };
    return finish(trigger, problems, add);
  }
  const event = t.event!;
  if (event.pattern === undefined) {
    add('$.event.pattern', 'event.pattern is required: an EventBridge event pattern.');
    return { problems };
  }
  const reason = validateEventPattern(event.pattern);
  if (reason !== undefined) add('$.event.pattern', `Event pattern is not valid. Reason: ${reason}`);
  const trigger: EventTrigger = {
    type: 'event',
    ...common,
    pattern: event.pattern as Record<string, unknown>,
    ...(event.eventBusName !== undefined && { eventBusName: event.eventBusName }),
  };
  return finish(trigger, problems, add);
}

/** A trigger valid in itself must also fit its AWS target's input. */
function finish(trigger: Trigger, problems: TriggerProblem[], add: (path: string, message: string) => void) {
  if (problems.length > 0) return { problems };
  const targetProblem = targetInputProblem(trigger);
  if (targetProblem !== undefined) {
    add('$.run', targetProblem);
    return { problems };
  }
  return { trigger, problems };
}

/** The family a run request's `taskDefinition` names (family, family:revision or ARN); undefined for a template. */
function familyOf(taskDefinition: unknown): string | undefined {
  if (typeof taskDefinition !== 'string') return undefined;
  return taskDefinition.slice(taskDefinition.lastIndexOf('/') + 1).replace(/:\d+$/, '');
}

export interface TriggerFileOptions {
  /** The stage's runFamilies (lib/config.ts): an enabled trigger for another family could never run. */
  runFamilies?: readonly string[];
}

/** Validates a parsed trigger file (YAML or JSON); every problem at once, each naming its trigger. */
export function parseTriggerFile(document: unknown, options: TriggerFileOptions = {}): TriggerFileResult {
  const parsed = TriggerFileSchema.safeParse(document ?? {}, { error: fallbackMessage });
  if (!parsed.success) {
    return {
      ok: false,
      problems: toViolations(parsed.error.issues).map((v) => ({ path: v.path, message: v.message })),
    };
  }
  const triggers: Trigger[] = [];
  const problems: TriggerProblem[] = [];
  for (const [name, raw] of Object.entries(parsed.data.triggers ?? {})) {
    const checked = checkTrigger(name, raw);
    problems.push(...checked.problems);
    const trigger = checked.trigger;
    if (trigger === undefined) continue;
    const family = familyOf(trigger.run.taskDefinition);
    const { runFamilies } = options;
    if (trigger.enabled && runFamilies !== undefined && family !== undefined && !matchesAny(family, runFamilies)) {
      problems.push({
        trigger: name,
        path: '$.run.taskDefinition',
        message: `Family ${family} is not in this stage's runFamilies (${runFamilies.join(', ') || 'none'}): the trigger could never start a run.`,
      });
      continue;
    }
    triggers.push(trigger);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, triggers };
}

/** One line per problem: `trigger "nightly" at $.schedule.expression: ...`. */
export function formatTriggerProblems(problems: readonly TriggerProblem[]): string {
  return problems
    .map((p) => `${p.trigger === undefined ? 'trigger file' : `trigger "${p.trigger}"`} at ${p.path}: ${p.message}`)
    .join('\n');
}
