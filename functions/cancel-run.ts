/** POST /runs/{runId}/cancel: stop the run's execution, and with it its ECS task (202). */
import { sfnClient } from '../lib/clients/sfn';
import { accepted, httpApi } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';
import { cancelRun, locationOfRun } from '../lib/runs/service';

const deps = { sfn: sfnClient(), config: loadRunsConfig() };

export const handler = httpApi(async ({ path, requestId }) => {
  const run = await cancelRun(deps, path.runId, requestId);
  return accepted(run, locationOfRun(run.runId));
});
