/** GET /runs/{runId}: the run as its execution and history tell it. */
import { ecsClient } from '../lib/clients/ecs';
import { sfnClient } from '../lib/clients/sfn';
import { httpApi, ok } from '../lib/http';
import { getRunRoute } from '../lib/routes/get-run';
import { loadRunsConfig } from '../lib/runs/config';
import { getRun } from '../lib/runs/get-run';

const deps = { sfn: sfnClient(), ecs: ecsClient(), config: loadRunsConfig() };

export const handler = httpApi(getRunRoute, async ({ path }) => ok(await getRun(deps, path.runId)));
