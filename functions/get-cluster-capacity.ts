/** GET /clusters/{cluster}/capacity: the cluster's container instances, their room and the runs on them. */
import { CapacityCache, getClusterCapacity } from '../lib/capacity/cluster-capacity';
import { ecsClient } from '../lib/clients/ecs';
import { httpApi, ok } from '../lib/http';
import { getClusterCapacityRoute } from '../lib/routes/get-cluster-capacity';
import { loadRunsConfig } from '../lib/runs/config';

// One cache per warm container: a page refreshing every second asks ECS once per cache period.
const deps = { ecs: ecsClient(), config: loadRunsConfig(), cache: new CapacityCache() };

export const handler = httpApi(getClusterCapacityRoute, async ({ path }) =>
  ok(await getClusterCapacity(deps, path.cluster)),
);
