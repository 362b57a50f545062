/**
 * The "Step Functions Execution Status Change" event the local Step Functions puts on the local default bus each
 * time an execution's status changes: RUNNING when it starts, then SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
 * Follows https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html:
 * `source: aws.states`, `resources: [executionArn]`, and a detail with executionArn, stateMachineArn, name, status,
 * startDate and stopDate (epoch milliseconds; stopDate null while running), input and inputDetails, output and
 * outputDetails (null unless it succeeded), error and cause (null unless it did not), and the redrive fields.
 * Deliberate deviation: RedriveExecution is not served here, so every execution says NOT_REDRIVABLE.
 */
import { EXECUTION_STATUS_CHANGE } from '../../lib/runs/execution-status-change';
import type { AwsServiceEvent } from '../events/aws-events';
import type { ExecutionRecord } from './models';

export const STATES_SOURCE = 'aws.states';

export function executionStatusChangeDetail(execution: ExecutionRecord): Record<string, unknown> {
  const succeeded = execution.status === 'SUCCEEDED';
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: execution.startDate,
    stopDate: execution.stopDate ?? null,
    input: execution.input,
    output: succeeded ? (execution.output ?? null) : null,
    inputDetails: { included: true },
    outputDetails: succeeded ? { included: true } : null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    redriveCount: 0,
    redriveDate: null,
    redriveStatus: 'NOT_REDRIVABLE',
    redriveStatusReason:
      execution.status === 'RUNNING'
        ? 'Execution is RUNNING and cannot be redriven'
        : "Berth's local Step Functions does not redrive executions",
  };
}

export function executionStatusChangeEvent(execution: ExecutionRecord): AwsServiceEvent {
  return {
    source: STATES_SOURCE,
    detailType: EXECUTION_STATUS_CHANGE,
    resources: [execution.executionArn],
    time: execution.stopDate ?? execution.startDate,
    detail: executionStatusChangeDetail(execution),
  };
}
