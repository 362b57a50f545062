/**
 * Step Functions' "Execution Status Change" events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html): their detail-type and the
 * statuses that end an execution. Kept apart from record-events.ts so the local Step Functions, which puts these
 * events, loads the names without the use case.
 */

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** The execution statuses that end an execution (RUNNING and PENDING_REDRIVE do not). */
export const TERMINAL_EXECUTION_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
