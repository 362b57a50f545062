/** GET /runs?status=&limit=&nextToken=: runs, newest first, one page at a time. */
import { sfnClient } from '../lib/clients/sfn';
import { httpApi, ok } from '../lib/http';
import { listRunsRoute } from '../lib/routes/list-runs';
import { loadRunsConfig } from '../lib/runs/config';
import { listRuns } from '../lib/runs/list-runs';

const deps = { sfn: sfnClient(), config: loadRunsConfig() };

export const handler = httpApi(listRunsRoute, async ({ query }) => ok(await listRuns(deps, query)));
