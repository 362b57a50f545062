/** GET /runs/{runId}: the run as its execution and history tell it. */
import { ecsClient } from '../lib/clients/ecs';
import { sfnClient } from '../lib/clients/sfn';
import { httpApi, ok } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';
import { getRun } from '../lib/runs/service';

const deps = { sfn: sfnClient(), ecs: ecsClient(), config: loadRunsConfig() };

export const handler = httpApi(async ({ path }) => ok(await getRun(deps, path.runId)));
