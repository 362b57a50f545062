/** Every minute: records left PENDING are started or failed, or given their execution's end (lib/runs/reconcile-runs.ts). */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { dynamoClient } from '../lib/clients/dynamodb';
import { sfnClient } from '../lib/clients/sfn';
import { logger } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';
import { reconcileRuns } from '../lib/runs/reconcile-runs';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const deps = {
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  sfn: sfnClient(),
  config: loadRunsConfig(),
};

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const counts = await reconcileRuns(deps);
    logger.info('Runs reconciled', { ...counts });
    return counts;
  });
