/** POST /runs (optional Idempotency-Key header): resolve the task definition, start the run (202). */
import { dynamoClient } from '../lib/clients/dynamodb';
import { ecsClient } from '../lib/clients/ecs';
import { sfnClient } from '../lib/clients/sfn';
import { accepted, httpApi, ok } from '../lib/http';
import { deployedQueues } from '../lib/queues/deployed';
import { queueStore } from '../lib/queues/deps';
import { startRunRoute } from '../lib/routes/start-run';
import { loadRunsConfig } from '../lib/runs/config';
import { locationOfRun } from '../lib/runs/execution';
import { loadRunStoreConfig } from '../lib/runs/run-store';
import { startRun } from '../lib/runs/start-run';

const deps = {
  sfn: sfnClient(),
  ecs: ecsClient(),
  config: loadRunsConfig(),
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  queues: deployedQueues,
  // A run of a queue with no limit is admitted at its start and skips Enter Queue (lib/queues/admit.ts).
  queueStore: queueStore(),
};

export const handler = httpApi(startRunRoute, async ({ body, headers, caller }) => {
  const { created, ...run } = await startRun(deps, {
    request: body,
    idempotencyKey: headers['Idempotency-Key'],
    caller,
  });
  const reply = created ? accepted(run, locationOfRun(run.runId)) : ok(run);
  return { ...reply, headers: { Location: locationOfRun(run.runId) } };
});
