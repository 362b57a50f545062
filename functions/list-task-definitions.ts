/** GET /task-definitions?familyPrefix=&status=&limit=&nextToken=: families with their latest revision. */
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { listTaskDefinitionsRoute } from '../lib/routes/list-task-definitions';
import { listTaskDefinitionFamilies } from '../lib/task-definitions';

const deps = { ecs: ecsClient() };

export const handler = httpApi(listTaskDefinitionsRoute, async ({ query }) =>
  ok(await listTaskDefinitionFamilies(deps, query)),
);
