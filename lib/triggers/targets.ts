/**
 * The input each trigger's target sends the `startTriggeredRun` Lambda (lib/triggers/start-triggered-run.ts), as
 * JSON text with the placeholders AWS fills in when it invokes the target. deploy/triggers.js puts this text in
 * the CloudFormation template; local/triggers/ fills the same placeholders itself, so both invoke the Lambda with
 * the same payload.
 * - Schedules: the target's Input, with Scheduler's context attributes
 *   (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 * - Event rules: the target's InputTransformer.InputTemplate, with the predefined variable
 *   `<aws.events.event.json>`, "the full original event payload as JSON (with the detail field)", usable only as
 *   a JSON value (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html).
 * Both inputs are limited to 8192 characters.
 */
import type { Trigger } from './config';
import { DEFAULT_CONCURRENCY_POLICY } from './names';

export const SCHEDULER_EXECUTION_ID = '<aws.scheduler.execution-id>';
export const SCHEDULER_SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';
export const EVENTS_EVENT_JSON = '<aws.events.event.json>';
export const MAX_TARGET_INPUT_LENGTH = 8192;

/** Text AWS would take for a placeholder: `<name>` anywhere in the run request would be filled or refused. */
const PLACEHOLDER_LIKE = /<[A-Za-z0-9_.-]+>/;

/**
 * The target input's JSON text, with AWS's placeholders in it. A concurrencyPolicy other than Allow travels with
 * the trigger, so the Lambda applies it without configuration of its own (and an Allow trigger's input is as before).
 */
export function targetInput(trigger: Trigger): string {
  const { type, name, concurrencyPolicy } = trigger;
  const head = `{"trigger":${JSON.stringify({
    type,
    name,
    ...(concurrencyPolicy !== undefined && concurrencyPolicy !== DEFAULT_CONCURRENCY_POLICY && { concurrencyPolicy }),
  })},"run":${JSON.stringify(trigger.run)}`;
  if (trigger.type === 'schedule') {
    return `${head},"schedule":{"executionId":"${SCHEDULER_EXECUTION_ID}","scheduledTime":"${SCHEDULER_SCHEDULED_TIME}"}}`;
  }
  return `${head},"event":${EVENTS_EVENT_JSON}}`;
}

/** Why the trigger's target input cannot be deployed, or undefined. */
export function targetInputProblem(trigger: Trigger): string | undefined {
  const run = JSON.stringify(trigger.run);
  const placeholder = PLACEHOLDER_LIKE.exec(run);
  if (placeholder !== null) {
    return `The run request contains ${placeholder[0]}, which EventBridge would read as a placeholder; write it another way.`;
  }
  const length = targetInput(trigger).length;
  if (length > MAX_TARGET_INPUT_LENGTH) {
    return `The run request makes a target input of ${length} characters; EventBridge takes at most ${MAX_TARGET_INPUT_LENGTH}.`;
  }
  return undefined;
}

/** What Scheduler sends: the input with its context attributes filled. */
export function scheduleInvocation(trigger: Trigger, executionId: string, scheduledTime: string): string {
  return targetInput(trigger)
    .replace(SCHEDULER_EXECUTION_ID, () => executionId)
    .replace(SCHEDULER_SCHEDULED_TIME, () => scheduledTime);
}

/** What an EventBridge rule's input transformer sends: the template with the whole event in it. */
export function eventInvocation(trigger: Trigger, event: unknown): string {
  const text = targetInput(trigger);
  const at = text.lastIndexOf(EVENTS_EVENT_JSON);
  return `${text.slice(0, at)}${JSON.stringify(event)}${text.slice(at + EVENTS_EVENT_JSON.length)}`;
}
