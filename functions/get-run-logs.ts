/** GET /runs/{runId}/logs: the run's container output from CloudWatch Logs, one page at a time. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { logsClient } from '../lib/clients/logs';
import { httpApi, ok } from '../lib/http';
import { loadRunLogsReadConfig } from '../lib/logs/config';
import { getRunLogs } from '../lib/logs/get-run-logs';
import { getRunLogsRoute } from '../lib/routes/get-run-logs';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const deps = {
  runs: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  logs: logsClient,
  ...loadRunLogsReadConfig(),
};

export const handler = httpApi(getRunLogsRoute, async ({ path, query }) =>
  ok(await getRunLogs(deps, path.runId, query)),
);
