/** GET /runs?status=|family=|trigger=&createdAfter=&createdBefore=&limit=&nextToken=: one Query per page. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { httpApi, ok } from '../lib/http';
import { listRunsRoute } from '../lib/routes/list-runs';
import { listRuns } from '../lib/runs/list-runs';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const store = { ddb: dynamoClient(), config: loadRunStoreConfig() };

export const handler = httpApi(listRunsRoute, async ({ query }) => ok(await listRuns(store, query)));
