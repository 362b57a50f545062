/**
 * ECS Task State Change of Berth's tasks, or the end of a run-task execution: recorded in the run's record; at the
 * execution's end the run event goes out on the bus.
 */
import { dynamoClient } from '../lib/clients/dynamodb';
import { eventsClient } from '../lib/clients/events';
import { sfnClient } from '../lib/clients/sfn';
import { stringFromEnv } from '../lib/env';
import { eventTarget } from '../lib/event-target';
import { publishRunEnded } from '../lib/events/run-events';
import { logger } from '../lib/http';
import { releaseRun } from '../lib/queues/admit';
import { queueDeps } from '../lib/queues/deps';
import { loadRunsConfig } from '../lib/runs/config';
import type { RunRecord } from '../lib/runs/record';
import { recordRunEvent } from '../lib/runs/record-events';
import { loadRunStoreConfig } from '../lib/runs/run-store';

const queues = queueDeps();
const runEvents = {
  events: eventsClient(),
  eventBusName: stringFromEnv(process.env, 'BERTH_EVENT_BUS_NAME') ?? 'default',
};
const deps = {
  store: { ddb: dynamoClient(), config: loadRunStoreConfig() },
  sfn: sfnClient(),
  config: loadRunsConfig(),
  // The run's queue slot is released when its execution ends, and the queue admits the next run.
  onExecutionEnd: (record: RunRecord) => releaseRun(queues, record),
  // Then the run event, its detail the record's view (what GET /runs/{runId} answers).
  onRunEnded: async (record: RunRecord, executionArn: string) => {
    const published = await publishRunEnded(runEvents, record, executionArn);
    logger.info(published.published ? 'Run event published' : 'No run event', { ...published });
  },
};

export const handler = eventTarget('Run record event', async (event) => {
  const result = await recordRunEvent(deps, event);
  logger.info(result.recorded ? 'Run record event' : 'Run record event ignored', { ...result });
  return result;
});
