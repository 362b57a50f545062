/** A run-task execution ended (Step Functions' status change event): put the run's event on the bus. */
import { eventsClient } from '../lib/clients/events';
import { sfnClient } from '../lib/clients/sfn';
import { stringFromEnv } from '../lib/env';
import { eventTarget } from '../lib/event-target';
import { publishRunEnded } from '../lib/events/run-events';
import { logger } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';

const eventBusName = stringFromEnv(process.env, 'BERTH_EVENT_BUS_NAME') ?? 'default';
const deps = { sfn: sfnClient(), events: eventsClient(), config: { ...loadRunsConfig(), eventBusName } };

export const handler = eventTarget('Run event', async (event) => {
  const result = await publishRunEnded(deps, event);
  logger.info(result.published ? 'Run event published' : 'No run event', { ...result });
  return result;
});
