/**
 * Run events out: when a run ends, Berth puts an event on the bus so callers can react instead of polling.
 *   {source: "berth", detail-type: "Run Succeeded" | "Run Failed" | "Run Cancelled" | "Run Timed Out",
 *    resources: [the execution ARN], detail: the run view (GET /runs/{runId})}
 * The record writer puts it (lib/runs/record-events.ts, on the run-task execution's end, on AWS and under
 * `npm start` alike) once the record says how the run ended: the detail is the record's view, exactly what
 * GET /runs/{runId} answers, and a caller who reacts to the event and reads the run sees it ended.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type RunRecord, runView } from '../runs/record';
import type { RunStatus, RunView } from '../runs/types';

export const RUN_EVENT_SOURCE = 'berth';

/** The detail-type of each status a run can end in. */
export const RUN_EVENT_DETAIL_TYPES = {
  SUCCEEDED: 'Run Succeeded',
  FAILED: 'Run Failed',
  CANCELLED: 'Run Cancelled',
  TIMED_OUT: 'Run Timed Out',
} as const satisfies Partial<Record<RunStatus, string>>;

export type RunEventDetailType = (typeof RUN_EVENT_DETAIL_TYPES)[keyof typeof RUN_EVENT_DETAIL_TYPES];

export interface RunEventsDeps {
  events: EventBridgeClient;
  eventBusName: string;
}

export type PublishResult =
  | { published: true; runId: string; detailType: RunEventDetailType; eventId: string }
  | { published: false; runId: string; reason: string };

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
 * Puts the run event of a record that says the run ended (nothing while it has not). A refused entry is thrown,
 * so the execution's end is delivered again and the event put again: delivery is at least once, as EventBridge's.
 */
export async function publishRunEnded(
  deps: RunEventsDeps,
  record: RunRecord,
  executionArn: string,
): Promise<PublishResult> {
  const view = runView(record);
  const entry = runEventEntry(view, deps.eventBusName, executionArn);
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
