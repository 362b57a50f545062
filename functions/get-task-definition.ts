/** GET /task-definitions/{family} (latest ACTIVE) and GET /task-definitions/{family}/{revision}: one function, two routes. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { getLatestTaskDefinitionRoute, getTaskDefinitionRoute } from '../lib/routes/get-task-definition';
import { getLatestTaskDefinition, getTaskDefinition } from '../lib/task-definitions';

const deps = { ecs: ecsClient() };

const latest = httpApi(getLatestTaskDefinitionRoute, async ({ path }) =>
  ok(await getLatestTaskDefinition(deps, path.family)),
);
const revision = httpApi(getTaskDefinitionRoute, async ({ path }) => ok(await getTaskDefinition(deps, path)));

export const handler = (event: APIGatewayProxyEvent, context: Context) =>
  (event.pathParameters?.revision === undefined ? latest : revision)(event, context);
