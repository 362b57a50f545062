/** A schedule or an event rule fired: start the run its trigger asks for, validated as POST /runs validates. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { ecsClient } from '../lib/clients/ecs';
import { sfnClient } from '../lib/clients/sfn';
import { eventTarget } from '../lib/event-target';
import { logger } from '../lib/http';
import { deployedQueues } from '../lib/queues/deployed';
import { queueStore } from '../lib/queues/deps';
import { loadRunsConfig } from '../lib/runs/config';
import { loadRunStoreConfig } from '../lib/runs/run-store';
import { startTriggeredRun } from '../lib/triggers/start-triggered-run';

const deps = {
  sfn: sfnClient(),
  ecs: ecsClient(),
  config: loadRunsConfig(),
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  queues: deployedQueues,
  // A run of a queue with no limit is admitted at its start and skips Enter Queue (lib/queues/admit.ts).
  queueStore: queueStore(),
};

export const handler = eventTarget('Trigger', async (event) => {
  const run = await startTriggeredRun(deps, event);
  const what = run.status === 'SKIPPED' ? 'Firing skipped (concurrencyPolicy Forbid)' : 'Run started';
  logger.info(run.created ? what : 'Run already recorded for this firing', { ...run });
  return run;
});
