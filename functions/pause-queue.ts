/** POST /queues/{name}/pause and /resume: one function, two routes; resuming admits the waiting runs at once. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { httpApi, ok } from '../lib/http';
import { queueDeps } from '../lib/queues/deps';
import { pauseQueue } from '../lib/queues/views';
import { pauseQueueRoute, resumeQueueRoute } from '../lib/routes/queues';

const deps = queueDeps();

const pause = httpApi(pauseQueueRoute, async ({ path }) => ok(await pauseQueue(deps, path.name, true)));
const resume = httpApi(resumeQueueRoute, async ({ path }) => ok(await pauseQueue(deps, path.name, false)));

export const handler = (event: APIGatewayProxyEvent, context: Context) =>
  (event.path?.endsWith('/resume') === true ? resume : pause)(event, context);
