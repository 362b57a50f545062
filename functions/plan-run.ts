/** POST /runs/plan: the placement a run would get now, explained; nothing is started. */
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { planRunRoute } from '../lib/routes/plan-run';
import { loadRunsConfig } from '../lib/runs/config';
import { planRun } from '../lib/runs/plan-run';

const deps = { ecs: ecsClient(), config: loadRunsConfig() };

export const handler = httpApi(planRunRoute, async ({ body }) => ok(await planRun(deps, body)));
