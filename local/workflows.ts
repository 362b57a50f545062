/**
 * The state machines of workflows/ on the local endpoint: created (or brought up to date) at
 * `npm start`, with the placeholders filled for the local stack by workflows/definitions.js, the
 * same module serverless.yml fills them with for AWS. The Lambda ARNs name the functions as
 * serverless-offline serves them (`<service>-<stage>-<function>`), which is what the local
 * Step Functions' Lambda invoker calls.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadDefinition, localRunTaskValues } from '../workflows/definitions';
import { type EnsuredStateMachine, ensureStateMachine } from './sfn/ensure';
import { runTaskStateMachineName } from './stack-names';

export { runTaskStateMachineName };

export interface LocalWorkflowOptions {
  endpointUrl: string;
  region: string;
  accountId: string;
  /** serverless.yml's stage the local stack runs (names depend on it). */
  stage: string;
  service?: string;
}

/** The run-task definition (JSON) with the local values. */
export function localRunTaskDefinition(options: Omit<LocalWorkflowOptions, 'endpointUrl'>): string {
  const values = localRunTaskValues({
    service: options.service ?? 'berth',
    stage: options.stage,
    region: options.region,
    accountId: options.accountId,
  });
  return JSON.stringify(loadDefinition('run-task', values));
}

export async function ensureLocalWorkflows(options: LocalWorkflowOptions): Promise<EnsuredStateMachine> {
  const sfn = new SFNClient({
    endpoint: options.endpointUrl,
    region: options.region,
    credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
  });
  try {
    return await ensureStateMachine(
      sfn,
      runTaskStateMachineName(options.stage, options.service),
      localRunTaskDefinition(options),
      `arn:aws:iam::${options.accountId}:role/${runTaskStateMachineName(options.stage, options.service)}`,
    );
  } finally {
    sfn.destroy();
  }
}
