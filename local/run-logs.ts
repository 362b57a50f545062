/**
 * The stage's run log group on the local endpoint, made at `npm start` as serverless.yml's RunLogGroup resource
 * makes it on AWS (custom.runLogGroupName, param runLogRetentionDays), so runs whose definitions got the default
 * log configuration (lib/task-definition/log-defaults.ts) have somewhere to write. Also the local name of the
 * default execution role (deploy/iam.js RunLogsExecutionRole), which the local ECS does not assume.
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';

/** serverless.yml custom.runLogGroupName (`/berth/${sls:stage}/runs`, pinned by test/unit/deploy/run-log-group.test.ts). */
export const runLogGroupName = (stage: string) => `/berth/${stage}/runs`;

export { localRunLogsRoleArn } from './stack-names';

export async function ensureLocalRunLogGroup(options: {
  endpointUrl: string;
  region: string;
  stage: string;
  retentionInDays: number;
}): Promise<string> {
  const logs = new CloudWatchLogsClient({
    endpoint: options.endpointUrl,
    region: options.region,
    credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
  });
  const logGroupName = runLogGroupName(options.stage);
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName })).catch((err: unknown) => {
      if (!(err instanceof ResourceAlreadyExistsException)) throw err;
    });
    await logs.send(new PutRetentionPolicyCommand({ logGroupName, retentionInDays: options.retentionInDays }));
    return logGroupName;
  } finally {
    logs.destroy();
  }
}
