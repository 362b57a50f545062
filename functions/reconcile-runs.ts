/**
 * Every minute: records left PENDING are started or failed, or given their execution's end (lib/runs/reconcile-runs.ts);
 * queue slots and entries of runs that ended are released, and each queue admits (lib/queues/reconcile-queues.ts).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { dynamoClient } from '../lib/clients/dynamodb';
import { sfnClient } from '../lib/clients/sfn';
import { logger } from '../lib/http';
import { queueDeps } from '../lib/queues/deps';
import { reconcileQueues } from '../lib/queues/reconcile-queues';
import { loadRunsConfig } from '../lib/runs/config';
import { reconcileRuns } from '../lib/runs/reconcile-runs';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const deps = {
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  sfn: sfnClient(),
  config: loadRunsConfig(),
};
const queues = { ...queueDeps(), config: deps.config };

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const counts = await reconcileRuns(deps);
    const queueRepairs = await reconcileQueues(queues);
    const repaired = { ...counts, ...queueRepairs };
    // Said at INFO only when something was repaired: a quiet stage logs nothing every minute.
    const changed =
      counts.started +
      counts.failed +
      counts.ended +
      queueRepairs.released +
      queueRepairs.resumed +
      queueRepairs.removed;
    if (changed > 0 || queueRepairs.admitted > 0) logger.info('Runs reconciled', repaired);
    else logger.debug('Runs reconciled', repaired);
    return repaired;
  });
