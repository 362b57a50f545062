/**
 * Every route of the REST API, in the order the document lists them. Keep in step with serverless.yml (the
 * OpenAPI test checks both ways). Handlers import their own route's module, so a bundle carries only its
 * route's schemas; only the document (built at build time) imports this list.
 */
import { cancelRunRoute } from './cancel-run';
import { deregisterTaskDefinitionRoute } from './deregister-task-definition';
import { getClusterCapacityRoute } from './get-cluster-capacity';
import { getOpenApiRoute } from './get-openapi';
import { getRunRoute } from './get-run';
import { getRunLogsRoute } from './get-run-logs';
import { getLatestTaskDefinitionRoute, getTaskDefinitionRoute } from './get-task-definition';
import { listRunsRoute } from './list-runs';
import { listTaskDefinitionsRoute } from './list-task-definitions';
import { planRunRoute } from './plan-run';
import { getQueueRoute, listQueuesRoute, pauseQueueRoute, resumeQueueRoute } from './queues';
import { registerTaskDefinitionRoute } from './register-task-definition';
import type { Route } from './route';
import { startRunRoute } from './start-run';

export const API_ROUTES: readonly Route[] = [
  registerTaskDefinitionRoute,
  listTaskDefinitionsRoute,
  getLatestTaskDefinitionRoute,
  getTaskDefinitionRoute,
  deregisterTaskDefinitionRoute,
  startRunRoute,
  listRunsRoute,
  getRunRoute,
  getRunLogsRoute,
  cancelRunRoute,
  planRunRoute,
  getClusterCapacityRoute,
  listQueuesRoute,
  getQueueRoute,
  pauseQueueRoute,
  resumeQueueRoute,
  getOpenApiRoute,
];
