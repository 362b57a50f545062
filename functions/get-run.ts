/** GET /runs/{runId}: the run's record, one GetItem. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { httpApi, ok } from '../lib/http';
import { deployedQueues } from '../lib/queues/deployed';
import { queueStore } from '../lib/queues/deps';
import { getRunRoute } from '../lib/routes/get-run';
import { getRun } from '../lib/runs/get-run';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const store = { ddb: dynamoClient(), config: loadRunStoreConfig() };
// A QUEUED run's position and what it waits for come from its queue.
const queues = { store: queueStore(), queues: deployedQueues };

export const handler = httpApi(getRunRoute, async ({ path }) => ok(await getRun(store, path.runId, queues)));
