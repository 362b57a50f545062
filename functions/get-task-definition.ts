/** GET /task-definitions/{family} (latest ACTIVE) and GET /task-definitions/{family}/{revision}. */
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { getLatestTaskDefinition, getTaskDefinition } from '../lib/task-definitions';

const deps = { ecs: ecsClient() };

export const handler = httpApi(async ({ path }) =>
  ok(
    path.revision === undefined
      ? await getLatestTaskDefinition(deps, path.family)
      : await getTaskDefinition(deps, path.family, path.revision),
  ),
);
