/** GET /runs/{runId}/logs: the run's container output from CloudWatch Logs, one page at a time. */
import { ecsClient } from '../lib/clients/ecs';
import { logsClient } from '../lib/clients/logs';
import { sfnClient } from '../lib/clients/sfn';
import { listFromEnv, requiredStringFromEnv } from '../lib/env';
import { httpApi, ok } from '../lib/http';
import { getRunLogs } from '../lib/logs/get-run-logs';
import { getRunLogsRoute } from '../lib/routes/get-run-logs';
import { loadRunsConfig } from '../lib/runs/config';

const region = requiredStringFromEnv(process.env, 'AWS_REGION');
// What its role may read (deploy/iam.js): the stage's run log group and the groups the stage allows.
const readableGroups = [
  requiredStringFromEnv(process.env, 'BERTH_RUN_LOG_GROUP'),
  ...listFromEnv(process.env, 'BERTH_READABLE_LOG_GROUPS'),
];
const deps = { sfn: sfnClient(), ecs: ecsClient(), logs: logsClient, config: loadRunsConfig(), region, readableGroups };

export const handler = httpApi(getRunLogsRoute, async ({ path, query }) =>
  ok(await getRunLogs(deps, path.runId, query)),
);
