/**
 * Stage configuration of GET /runs/{runId}/logs, read once at cold start from the environment serverless.yml sets
 * (on AWS and under `npm start` alike); a missing value fails the cold start.
 */
import { type Env, listFromEnv, requiredStringFromEnv } from '../env';

export interface RunLogsReadConfig {
  /** The stage's region: where a container's logs are when its awslogs configuration names none. */
  region: string;
  /** What the function's role may read (deploy/iam.js): the stage's run log group and param readableLogGroups. */
  readableGroups: string[];
}

export function loadRunLogsReadConfig(env: Env = process.env): RunLogsReadConfig {
  return {
    region: requiredStringFromEnv(env, 'AWS_REGION'),
    readableGroups: [
      requiredStringFromEnv(env, 'BERTH_RUN_LOG_GROUP'),
      ...listFromEnv(env, 'BERTH_READABLE_LOG_GROUPS'),
    ],
  };
}
