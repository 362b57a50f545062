/**
 * Starting a run for a trigger: what the `startTriggeredRun` Lambda does for an EventBridge Scheduler schedule or
 * an EventBridge rule on AWS, and for the local scheduler and event subscriptions under `npm start`.
 *
 * The invocation carries its trigger (deploy/triggers.js builds it as the target's input, local/triggers/ builds
 * the same JSON):
 *   schedule: {"trigger": {"type": "schedule", "name", "concurrencyPolicy"?}, "run": {...},
 *              "schedule": {"executionId": "<aws.scheduler.execution-id>", "scheduledTime": "<aws.scheduler.scheduled-time>"}}
 *   event:    {"trigger": {"type": "event", "name", "concurrencyPolicy"?}, "run": {... templates ...}, "event": <aws.events.event.json>}
 * (context attributes: https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html;
 * the whole event: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { parseOrThrow } from '../parse';
import { RunRequestSchema } from '../runs/request';
import { type RunsDeps, type StartRunResult, startRun } from '../runs/start-run';
import type { RunTrigger } from '../runs/types';
import { admitFiring } from './concurrency-policy';
import { CONCURRENCY_POLICIES, DEFAULT_CONCURRENCY_POLICY, TRIGGER_NAME } from './names';
import { resolveTemplate, TemplateResolutionError } from './template';

const NameSchema = z.string().check(z.regex(TRIGGER_NAME, 'The trigger name is not valid.'));

export const TriggerInvocationSchema = z.strictObject({
  trigger: z.strictObject({
    type: z.enum(['schedule', 'event']),
    name: NameSchema,
    concurrencyPolicy: z._default(z.enum(CONCURRENCY_POLICIES), DEFAULT_CONCURRENCY_POLICY),
  }),
  run: z.record(z.string(), z.unknown()),
  schedule: z.optional(
    z.strictObject({
      executionId: z.string().check(z.minLength(1), z.maxLength(256)),
      scheduledTime: z.string().check(z.minLength(1), z.maxLength(64)),
    }),
  ),
  event: z.optional(
    z.looseObject({
      id: z.string().check(z.minLength(1), z.maxLength(256)),
      source: z.string(),
      'detail-type': z.string(),
    }),
  ),
});

export type TriggerInvocation = z.output<typeof TriggerInvocationSchema>;

export interface TriggeredRunResult extends StartRunResult {
  trigger: RunTrigger;
}

/**
 * The Idempotency-Key of a firing: a schedule's scheduled time, or an event's id, under the trigger's name. A
 * target retried by EventBridge (or Lambda's own async retries) lands on the same run instead of a second one.
 * Scheduler's execution id is per attempt, so the scheduled time is the schedule's key.
 */
export function firingKey(invocation: TriggerInvocation): string {
  const what =
    invocation.trigger.type === 'schedule'
      ? `schedule:${invocation.trigger.name}:${invocation.schedule?.scheduledTime}`
      : `event:${invocation.trigger.name}:${invocation.event?.id}`;
  return `trigger-${createHash('sha256').update(what).digest('base64url').slice(0, 40)}`;
}

/**
 * Starts the run a trigger asks for.
 * 1. Validate the invocation: a schedule carries its execution id and time, an event trigger its event.
 * 2. Fill the run request's {"$event": ...} templates from the event (every unfilled template is a 400).
 * 3. Start the run exactly as POST /runs does (lib/runs/start-run.ts: the same validation, task
 *    definition and guardrail checks), keyed by the firing, recording `trigger: {type, name, eventId}`
 *    (eventId: the event's id, or the schedule's execution id), and admitted by the trigger's concurrencyPolicy
 *    (lib/triggers/concurrency-policy.ts): under Forbid it may be recorded SKIPPED instead, under Replace it
 *    cancels the trigger's live runs first. A retried firing finds its record by the key, SKIPPED or not, and
 *    applies no policy again.
 */
export async function startTriggeredRun(deps: RunsDeps, payload: unknown): Promise<TriggeredRunResult> {
  const invocation = parseOrThrow(TriggerInvocationSchema, payload);
  const { type, name } = invocation.trigger;
  let body: unknown = invocation.run;
  let eventId: string;
  if (type === 'schedule') {
    if (invocation.schedule === undefined || invocation.event !== undefined) {
      throw new ValidationError([{ path: '$.schedule', message: 'A schedule trigger carries schedule, not event.' }]);
    }
    eventId = invocation.schedule.executionId;
  } else {
    if (invocation.event === undefined || invocation.schedule !== undefined) {
      throw new ValidationError([{ path: '$.event', message: 'An event trigger carries the event, not schedule.' }]);
    }
    eventId = invocation.event.id;
    try {
      body = resolveTemplate(invocation.run, invocation.event);
    } catch (err) {
      if (!(err instanceof TemplateResolutionError)) throw err;
      throw new ValidationError(err.problems);
    }
  }
  const trigger: RunTrigger = { type, name, eventId };
  const request = parseOrThrow(RunRequestSchema, body);
  const admit = admitFiring(deps, invocation.trigger.concurrencyPolicy, { type, name });
  const started = await startRun(deps, {
    request,
    idempotencyKey: firingKey(invocation),
    trigger,
    ...(admit !== undefined && { admit }),
  });
  return { ...started, trigger };
}
