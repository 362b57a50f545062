/** ECS Task State Change of Berth's tasks, or the end of a run-task execution: recorded in the run's record. */
import { dynamoClient } from '../lib/clients/dynamodb';
import { sfnClient } from '../lib/clients/sfn';
import { eventTarget } from '../lib/event-target';
import { logger } from '../lib/http';
import { releaseRun } from '../lib/queues/admit';
import { queueDeps } from '../lib/queues/deps';
import { loadRunsConfig } from '../lib/runs/config';
import type { RunRecord } from '../lib/runs/record';
import { recordRunEvent } from '../lib/runs/record-events';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const queues = queueDeps();
const deps = {
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  sfn: sfnClient(),
  config: loadRunsConfig(),
  // The run's queue slot is released when its execution ends, and the queue admits the next run.
  onExecutionEnd: (record: RunRecord) => releaseRun(queues, record),
};

export const handler = eventTarget('Run record event', async (event) => {
  const result = await recordRunEvent(deps, event);
  logger.info(result.recorded ? 'Run record event' : 'Run record event ignored', { ...result });
  return result;
});
