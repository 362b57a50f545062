/** GET /runs?status=&limit=&nextToken=: runs, newest first, one page at a time. */
import { sfnClient } from '../lib/clients/sfn';
import { httpApi, ok } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';
import { listRuns } from '../lib/runs/service';

const deps = { sfn: sfnClient(), config: loadRunsConfig() };

export const handler = httpApi(async ({ query }) => ok(await listRuns(deps, query)));
