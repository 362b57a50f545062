/** GET /task-definitions?familyPrefix=&status=&limit=&nextToken=: families with their latest revision. */
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { listTaskDefinitionFamilies } from '../lib/task-definitions';

const deps = { ecs: ecsClient() };

export const handler = httpApi(async ({ query }) => ok(await listTaskDefinitionFamilies(deps, query)));
