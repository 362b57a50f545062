/**
 * The run-events rule: which of Step Functions' "Execution Status Change" events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html) cue a run event. One
 * pattern for AWS (deploy/triggers.js RunEventsRule, the ARN an `Fn::Sub`) and for `npm start` (local/triggers/,
 * the local ARN). Kept apart from run-events.ts so packaging loads the pattern without the use case's clients.
 */

export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';

/** The execution statuses that end an execution (RUNNING and PENDING_REDRIVE do not). */
export const TERMINAL_EXECUTION_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The executions of the run-task state machine that ended; `stateMachineArn` may be a CloudFormation intrinsic. */
export function runEventsPattern<Arn>(stateMachineArn: Arn) {
  return {
    source: ['aws.states'],
    'detail-type': [EXECUTION_STATUS_CHANGE],
    detail: { stateMachineArn: [stateMachineArn], status: [...TERMINAL_EXECUTION_STATUSES] },
  };
}
