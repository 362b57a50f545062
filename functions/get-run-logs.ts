/** GET /runs/{runId}/logs: the run's container output from CloudWatch Logs, one page at a time. */
import { ecsClient } from '../lib/clients/ecs';
import { logsClient } from '../lib/clients/logs';
import { sfnClient } from '../lib/clients/sfn';
import { httpApi, ok } from '../lib/http';
import { loadRunLogsReadConfig } from '../lib/logs/config';
import { getRunLogs } from '../lib/logs/get-run-logs';
import { getRunLogsRoute } from '../lib/routes/get-run-logs';
import { loadRunsConfig } from '../lib/runs/config';

const deps = {
  sfn: sfnClient(),
  ecs: ecsClient(),
  logs: logsClient,
  config: loadRunsConfig(),
  ...loadRunLogsReadConfig(),
};

export const handler = httpApi(getRunLogsRoute, async ({ path, query }) =>
  ok(await getRunLogs(deps, path.runId, query)),
);
