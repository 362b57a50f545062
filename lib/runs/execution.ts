/** The execution a run id names, as the run use cases read it. */
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import type { RunsConfig } from './config';

export const errorName = (err: unknown) => (err as { name?: string } | undefined)?.name;

export const locationOfRun = (runId: string) => `/runs/${encodeURIComponent(runId)}`;

export function executionArnOf(config: Pick<RunsConfig, 'stateMachineArn'>, runId: string): string {
  return `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
}

/** The execution named by the run id, or undefined when there is none. */
export async function describeExecution(
  deps: { sfn: SFNClient; config: Pick<RunsConfig, 'stateMachineArn'> },
  runId: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(deps.config, runId) }));
  } catch (err) {
    if (errorName(err) === 'ExecutionDoesNotExist') return undefined;
    throw err;
  }
}
