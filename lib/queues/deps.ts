/** The queue use cases' dependencies as a Lambda builds them once per cold start. */
import { dynamoClient } from '../clients/dynamodb';
import { sfnClient } from '../clients/sfn';
import { requiredStringFromEnv } from '../env';
import { loadRunStoreConfig } from '../runs/run-store';
import type { QueueDeps } from './admit';
import { deployedQueues } from './deployed';
import type { QueueStore } from './store';

/** The queues table: BERTH_QUEUES_TABLE. */
export function queueStore(env: Readonly<Record<string, string | undefined>> = process.env): QueueStore {
  return { ddb: dynamoClient(), tableName: requiredStringFromEnv(env, 'BERTH_QUEUES_TABLE') };
}

export function queueDeps(): QueueDeps {
  return {
    store: queueStore(),
    runs: { ddb: dynamoClient(), config: loadRunStoreConfig() },
    sfn: sfnClient(),
    queues: deployedQueues,
  };
}
