/**
 * Run events out: when a run ends, Berth puts an event on the bus so callers can react instead of polling.
 *   {source: "berth", detail-type: "Run Succeeded" | "Run Failed" | "Run Cancelled" | "Run Timed Out",
 *    resources: [the execution ARN], detail: the run view (GET /runs/{runId})}
 * The cue is Step Functions' own "Step Functions Execution Status Change" event for the run-task state machine
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): on AWS an EventBridge rule
 * delivers it to the `publishRunEvent` Lambda; under `npm start` the local Step Functions' execution-end hook
 * builds the same event and invokes the same Lambda (local/triggers/); the rule's pattern is run-events-rule.ts.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SFNClient } from '@aws-sdk/client-sfn';
import * as z from 'zod/mini';
import { parseOrThrow } from '../parse';
import type { RunsConfig } from '../runs/config';
import { getRunFromExecution } from '../runs/execution-view';
import type { RunStatus, RunView } from '../runs/types';
import { EXECUTION_STATUS_CHANGE, TERMINAL_EXECUTION_STATUSES } from './run-events-rule';

export const RUN_EVENT_SOURCE = 'berth';

/** The detail-type of each status a run can end in. */
export const RUN_EVENT_DETAIL_TYPES = {
  SUCCEEDED: 'Run Succeeded',
  FAILED: 'Run Failed',
  CANCELLED: 'Run Cancelled',
  TIMED_OUT: 'Run Timed Out',
} as const satisfies Partial<Record<RunStatus, string>>;

export type RunEventDetailType = (typeof RUN_EVENT_DETAIL_TYPES)[keyof typeof RUN_EVENT_DETAIL_TYPES];

export const ExecutionStatusChangeSchema = z.looseObject({
  id: z.string(),
  source: z.literal('aws.states'),
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  detail: z.looseObject({
    executionArn: z.string(),
    stateMachineArn: z.string(),
    name: z.string(),
    status: z.string(),
  }),
});

export interface RunEventsDeps {
  sfn: SFNClient;
  events: EventBridgeClient;
  config: RunsConfig & { eventBusName: string };
}

export type PublishResult =
  | { published: true; runId: string; detailType: RunEventDetailType; eventId: string }
  | { published: false; runId?: string; reason: string };

/** The run event for a run view, or undefined while the run has not ended. */
export function runEventEntry(view: RunView, eventBusName: string, executionArn: string) {
  const detailType = (RUN_EVENT_DETAIL_TYPES as Partial<Record<RunStatus, RunEventDetailType>>)[view.status];
  if (detailType === undefined) return undefined;
  return {
    Source: RUN_EVENT_SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(view),
    Resources: [executionArn],
    EventBusName: eventBusName,
    ...(view.stoppedAt !== undefined && { Time: new Date(view.stoppedAt) }),
  };
}

/**
 * Publishes the run event for an execution that ended.
 * 1. Validate the Step Functions event; ignore other state machines and statuses that do not end a run.
 * 2. Build the run view as GET /runs/{runId} does (getRun).
 * 3. PutEvents it; a failed entry is thrown, so the invocation is retried.
 */
export async function publishRunEnded(deps: RunEventsDeps, event: unknown): Promise<PublishResult> {
  const { detail } = parseOrThrow(ExecutionStatusChangeSchema, event);
  if (detail.stateMachineArn !== deps.config.stateMachineArn) {
    return { published: false, reason: `Not the run-task state machine: ${detail.stateMachineArn}.` };
  }
  if (!(TERMINAL_EXECUTION_STATUSES as readonly string[]).includes(detail.status)) {
    return { published: false, runId: detail.name, reason: `The execution is ${detail.status}, not ended.` };
  }
  const view = await getRunFromExecution(deps, detail.name);
  const entry = runEventEntry(view, deps.config.eventBusName, detail.executionArn);
  if (entry === undefined) {
    return { published: false, runId: view.runId, reason: `The run is ${view.status}, not ended.` };
  }
  const out = await deps.events.send(new PutEventsCommand({ Entries: [entry] }));
  const result = out.Entries?.[0];
  if ((out.FailedEntryCount ?? 0) > 0 || result?.EventId === undefined) {
    throw new Error(`PutEvents refused the run event of ${view.runId}: ${result?.ErrorCode} ${result?.ErrorMessage}`);
  }
  return { published: true, runId: view.runId, detailType: entry.DetailType, eventId: result.EventId };
}
