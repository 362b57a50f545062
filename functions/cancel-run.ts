/** POST /runs/{runId}/cancel: stop the run's execution, and with it its ECS task (202). */
import { dynamoClient } from '../lib/clients/dynamodb';
import { sfnClient } from '../lib/clients/sfn';
import { accepted, httpApi } from '../lib/http';
import { cancelRunRoute } from '../lib/routes/cancel-run';
import { cancelRun } from '../lib/runs/cancel-run';
import { loadRunsConfig } from '../lib/runs/config';
import { locationOfRun } from '../lib/runs/execution';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const deps = {
  sfn: sfnClient(),
  config: loadRunsConfig(),
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
};

export const handler = httpApi(cancelRunRoute, async ({ path, requestId }) => {
  const run = await cancelRun(deps, { runId: path.runId, requestId });
  return accepted(run, locationOfRun(run.runId));
});
