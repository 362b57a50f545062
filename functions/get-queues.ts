/** GET /queues and GET /queues/{name}: one function, two routes, read from the queues table. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { httpApi, ok } from '../lib/http';
import { deployedQueues } from '../lib/queues/deployed';
import { queueStore } from '../lib/queues/deps';
import { getQueue, listQueues } from '../lib/queues/views';
import { getQueueRoute, listQueuesRoute } from '../lib/routes/queues';

const deps = { store: queueStore(), queues: deployedQueues };

const list = httpApi(listQueuesRoute, async () => ok(await listQueues(deps)));
const one = httpApi(getQueueRoute, async ({ path }) => ok(await getQueue(deps, path.name)));

export const handler = (event: APIGatewayProxyEvent, context: Context) =>
  (event.pathParameters?.name === undefined ? list : one)(event, context);
