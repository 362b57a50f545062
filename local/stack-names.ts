/**
 * Names of the local stage's resources, as serverless.yml and deploy/ name them on AWS. A module with no imports:
 * `npm start` hands them to serverless-offline before it loads the local AWS side (local/start.ts).
 */

/**
 * The run-task state machine's name: serverless.yml custom.runTaskStateMachineName
 * (`${self:service}-${sls:stage}-run-task`, pinned against this by test/unit/deploy/state-machine-name.test.ts).
 */
export const runTaskStateMachineName = (stage: string, service = 'berth') => `${service}-${stage}-run-task`;

/** The default execution role for run logs (deploy/iam.js RunLogsExecutionRole), which the local ECS does not assume. */
export const localRunLogsRoleArn = (accountId: string, stage: string, service = 'berth') =>
  `arn:aws:iam::${accountId}:role/${service}-${stage}-run-logs`;
