/** GET /clusters/{cluster}/capacity */
import * as z from 'zod/mini';
import { CLUSTER } from '../runs/request';
import { invalid, notFound, problem, throttled } from './responses';
import { route } from './route';

export const getClusterCapacityRoute = route({
  method: 'get',
  path: '/clusters/{cluster}/capacity',
  operationId: 'getClusterCapacity',
  summary:
    "Each ACTIVE container instance's registered and remaining CPU, memory and ports, its agent, attributes and the Berth runs on it; totals. Cached a few seconds.",
  tag: 'Clusters',
  request: {
    path: z.object({
      cluster: z
        .string()
        .check(
          z.regex(CLUSTER, 'cluster must be a cluster name (letters, numbers, hyphens and underscores) or ARN.'),
          z.describe("One of the stage's runClusters."),
        ),
    }),
  },
  responses: {
    '200': { description: 'The cluster as ECS describes it now (or a few seconds ago).', body: 'ClusterCapacity' },
    '400': invalid,
    '403': problem("The cluster is not one of the stage's runClusters."),
    '404': notFound,
    '503': throttled,
  },
});
