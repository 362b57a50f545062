/** DELETE /task-definitions/{family}/{revision}: deregister (the revision becomes INACTIVE). */
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { deregisterTaskDefinitionRoute } from '../lib/routes/deregister-task-definition';
import { deregisterTaskDefinition } from '../lib/task-definitions';

const deps = { ecs: ecsClient() };

export const handler = httpApi(deregisterTaskDefinitionRoute, async ({ path }) =>
  ok(await deregisterTaskDefinition(deps, path)),
);
